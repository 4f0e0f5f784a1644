// Builds the Fastify app from its dependencies. Knows nothing of how they were made, so tests and the
// CLI assemble it the same way.
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import secureJson from 'secure-json-parse';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { ArtifactStore } from '../storage/types.js';
import type { WebhookDispatcher } from '../webhooks/webhook-dispatcher.js';
import { VERSION } from '../version.js';
import { validationError } from './errors/validation-error.js';
import { requestIdFrom } from './plugins/request-id.js';
import { registerSecurityHeaders } from './plugins/security-headers.js';
import { registerAuth } from './plugins/auth.js';
import { collectRoutes, registerErrorHandling, sendError, toApiError } from './plugins/error-handler.js';
import { registerMetrics } from './plugins/metrics.js';
import { registerAccessLog } from './plugins/access-log.js';
import { jobRoutes } from './routes/jobs.js';
import { artifactRoutes } from './routes/artifacts.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { rootRoutes } from './routes/root.js';

export interface AppDependencies {
  config: AppConfig;
  queue: JobQueue;
  store: ArtifactStore;
  logger?: Logger;
  estimateCost?: () => number | null;
  webhooks?: WebhookDispatcher;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const { config, queue, store } = deps;
  const bodyLimit = config.server.body_limit_bytes;
  const app = Fastify({
    loggerInstance: deps.logger,
    // One access line per request, written on response (see registerAccessLog), instead of two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    genReqId: requestIdFrom,
    requestIdHeader: false,
    trustProxy: config.security.trusted_proxies.length > 0 ? config.security.trusted_proxies : false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
    frameworkErrors: (error, request, reply) => {
      sendError(request, reply, toApiError(error, bodyLimit));
    },
  }) as unknown as FastifyInstance;

  // Requests are validated with zod inside the handlers; the route JSON schemas only document them.
  app.setValidatorCompiler(() => (data) => ({ value: data }));

  // Strict JSON: UTF-8 only, no prototype pollution, and an empty body counts as "no body".
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => {
    const bytes = body as Buffer;
    if (bytes.length === 0) return done(null, undefined);
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return done(validationError([{ field: 'body', message: 'is not valid UTF-8' }]) as never, undefined);
    }
    try {
      done(null, secureJson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' }));
    } catch {
      done(validationError([{ field: 'body', message: 'is not valid JSON' }]) as never, undefined);
    }
  });

  registerErrorHandling(app, bodyLimit);
  registerAccessLog(app);
  const headerOptions = {
    altSvc: config.server.quic_port ? `h3=":${config.server.quic_port}"; ma=${config.server.alt_svc_max_age}` : null,
  };
  registerSecurityHeaders(app, headerOptions);
  registerAuth(app, config.security.auth_token);
  const metrics = registerMetrics(app, { queue, version: VERSION });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'ttv API', version: VERSION, description: 'Text-to-video pipeline jobs' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: config.security.auth_token ? [{ bearer: [] }] : [],
    },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: false });

  const fillMethodNotAllowed = collectRoutes(app);
  await app.register(jobRoutes, { queue, estimateCost: deps.estimateCost, webhooks: deps.webhooks });
  await app.register(eventRoutes, { queue, heartbeatMs: config.server.sse_heartbeat_seconds * 1000, headers: headerOptions });
  await app.register(artifactRoutes, {
    queue, store, defaultExpiresIn: config.storage.signed_url_expiration, publicUrl: config.server.public_url,
  });
  await app.register(healthRoutes, { queue, store, metrics, version: VERSION });
  await app.register(rootRoutes, { version: VERSION });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  fillMethodNotAllowed();
  return app;
}
