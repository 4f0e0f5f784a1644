// Builds the Fastify app from its dependencies. Knows nothing of how they were made, so tests and the
// CLI assemble it the same way.
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/schema.js';
import type { JobQueue } from '../jobs/job-queue.js';
import type { ArtifactStore } from '../storage/types.js';
import type { JobSecretFor } from '../webhooks/job-webhook-secret.js';
import type { JobRequest } from '../jobs/job.js';
import { allowedJobOptions, anyoneMay } from '../job-options/option-policy.js';
import { ANONYMOUS_PRINCIPAL } from '../access/principal.js';
import { registerMultipartParser } from './multipart-body.js';
import { bodyShapeScanned, registerBodyLimits } from './plugins/body-limits.js';
import { jsonBounds, parseBoundedJson } from './bounded-json.js';
import { capabilityRoutes } from './routes/capabilities.js';
import { modelRoutes } from './routes/models.js';
import { videoRoutes } from './routes/videos.js';
import { VERSION } from '../version.js';
import { requestIdFrom } from './plugins/request-id.js';
import { lazyChildLogger } from './plugins/request-logger.js';
import { securityHeaders } from './plugins/security-headers.js';
import { decoratePrincipal, requireAuth } from './plugins/auth.js';
import type { Authenticator } from '../access/authenticator.js';
import { setZone } from './plugins/route-zone.js';
import { registerRoutePolicy } from './plugins/route-policy.js';
import { registerRequestPolicy } from './plugins/request-policy.js';
import { TokenMatcher } from '../access/token-authenticator.js';
import { redisEndpoint, redisKeyPrefix } from '../stores/redis-endpoint.js';
import { connectRedis } from '../stores/redis-connection.js';
import { openPostgresPool, POSTGRES_REQUEST_TIMEOUT_MS } from '../stores/postgres-pool.js';
import { migrateOnce } from '../stores/postgres-migrate-once.js';
import { PostgresWindowCounter } from './plugins/postgres-window-counter.js';
import { registerErrorHandling, sendError, toApiError } from './plugins/error-handler.js';
import { collectRoutes } from './plugins/method-not-allowed.js';
import { writeClientError } from './plugins/socket-error-writer.js';
import type { Server as NetServer, Socket } from 'node:net';
import { maxHeaderSize as httpMaxHeaderSize } from 'node:http';
import { limitConnections } from './plugins/connection-limits.js';
import { registerMetrics } from './plugins/metrics.js';
import { accessLog } from './plugins/access-log.js';
import { registerCors } from './plugins/cors.js';
import { rateLimiter } from './plugins/rate-limit.js';
import { registerOpenModeGuard } from './plugins/open-mode-guard.js';
import { AuthFailureLimit } from './plugins/auth-failure-limit.js';
import { MemoryWindowCounter, RedisWindowCounter } from './plugins/window-counter.js';
import { jobRoutes } from './routes/jobs.js';
import { artifactRoutes } from './routes/artifacts.js';
import { eventRoutes } from './routes/events.js';
import { keyRoutes } from './routes/keys.js';
import type { KeyStore } from '../access/key-store.js';
import type { KeyRevocations } from '../access/key-revocations.js';
import { healthRoutes, type ReadinessProblem } from './routes/health.js';
import type { ModelLifecycleWarning } from '../catalog/configured-models.js';
import { dataDirGuard, type DiskGuard } from '../storage/disk-guard.js';
import { rootRoutes } from './routes/root.js';
import { openApiOptions } from './openapi.js';
import { defaultSignedUrlExpiration } from '../config/signed-url-expiration.js';
import { openApiRouteSchema } from './route-schemas.js';

export interface AppDependencies {
  config: AppConfig;
  queue: JobQueue;
  store: ArtifactStore;
  logger?: Logger;
  /** The estimated cost of a prompt before it is planned, or null. */
  estimateCost?: (request: JobRequest) => number | null;
  /** Per-job webhook secrets, when some key may send the `webhook` option. */
  jobSecrets?: JobSecretFor;
  /** Who may use /v1; default: security.auth_token alone (open when unset, loopback only). */
  authenticator?: Authenticator;
  /** The key store behind the authenticator: the admin key routes (/v1/keys) exist only with it. */
  keys?: KeyStore;
  /** Revocations of keys, so that event streams opened with a revoked key end. */
  revocations?: KeyRevocations;
  /** Readiness causes from this process's other parts (the in-process worker), for /readyz. */
  problems?: () => ReadinessProblem[];
  /** Serve HTTPS: TLS 1.3 only, HTTP/2 and HTTP/1.1 by ALPN. */
  tls?: { key: Buffer; cert: Buffer };
  /** Models of the backend chain that shut down soon (found at startup), listed by /readyz as warnings. */
  modelWarnings?: ModelLifecycleWarning[];
  /** Free space under the data dir, for /readyz; default: a guard of its own from worker.min_free_disk_mb; null: not checked. */
  disk?: DiskGuard | null;
}

/**
 * Fastify/Node timeouts from server.*: requestTimeout and headersTimeout bound how long a request
 * may take to arrive (slowloris), connectionTimeout closes sockets idle in both directions,
 * keepAliveTimeout how long a kept-alive socket waits for its next request. Node checks the first
 * two every connectionsCheckingInterval (default 30 s), so that follows the shortest of them.
 */
function serverTimeouts(config: AppConfig): Record<string, unknown> {
  const ms = (seconds: number) => Math.max(1, Math.round(seconds * 1000));
  const requestTimeout = ms(config.server.request_timeout_seconds);
  const headersTimeout = ms(config.server.headers_timeout_seconds);
  const idle = ms(config.server.idle_timeout_seconds);
  return {
    requestTimeout,
    connectionTimeout: idle,
    keepAliveTimeout: ms(config.server.keep_alive_timeout_seconds),
    http2SessionTimeout: idle,
    http: {
      headersTimeout,
      requestTimeout,
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(headersTimeout / 4))),
    },
  };
}

export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const { config, queue, store } = deps;
  const bodyLimit = config.server.body_limit_bytes;
  const headerOptions = {
    altSvc: config.server.quic_port ? `h3=":${config.server.quic_port}"; ma=${config.server.alt_svc_max_age}` : null,
  };
  // One options object for the HTTP and the HTTP/2+TLS server: Fastify's typings split the two.
  const fastifyOptions: Record<string, unknown> = {
    ...(deps.tls
      ? {
          http2: true as const,
          https: { allowHTTP1: true, key: deps.tls.key, cert: deps.tls.cert, minVersion: 'TLSv1.3' as const },
        }
      : {}),
    loggerInstance: deps.logger,
    // One access line per request, written on response (access-log.ts, request-policy.ts), instead of two.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit,
    ...serverTimeouts(config),
    genReqId: requestIdFrom,
    requestIdHeader: false,
    // request.log made on first use, not for every request (request-logger.ts).
    childLoggerFactory: lazyChildLogger,
    trustProxy: config.security.trusted_proxies.length > 0 ? config.security.trusted_proxies : false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // A trailing slash is refused as non-canonical (canonical-path.ts), so the router need not fold it.
    // No parameter limit of the router's own: an over-long job id reaches its route (401 without a
    // token, 404 JobNotFound with one, as the Python server answers); Node's header limit, which the
    // request line counts towards, bounds the URL (431 from writeClientError).
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: httpMaxHeaderSize },
    // Malformed HTTP (bad framing, huge headers) never reaches a route: answer it in the envelope too.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => writeClientError(error, socket),
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      // These replies skip the hooks (the URL could not even be routed): add the headers here.
      reply.headers(securityHeaders(request, headerOptions));
      sendError(request, reply, toApiError(error, bodyLimit));
    },
  };
  const app = Fastify(fastifyOptions as never) as unknown as FastifyInstance;
  const connections = limitConnections(app.server as unknown as NetServer, {
    maxConnections: config.server.max_connections,
    maxPerAddress: config.server.max_connections_per_address,
    exemptAddresses: config.security.trusted_proxies,
    plainHttp: !deps.tls,
  });
  app.addHook('preClose', (done) => {
    connections.closeUnused();
    done();
  });

  // One validation path: zod, in the handlers (schemas.ts); the route JSON schemas only document the
  // requests (and serialize the answers). Why not Fastify-compiled schemas: docs/design-notes.md.
  app.setValidatorCompiler(() => (data) => ({ value: data }));

  // Strict JSON: UTF-8 only, depth and entries bounded before parsing, no prototype pollution, and
  // an empty body counts as "no body".
  const bounds = jsonBounds(config.server);
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    const bytes = body as Buffer;
    if (bytes.length === 0) return done(null, undefined);
    try {
      done(null, parseBoundedJson(bytes, bounds, 'body', { scanned: bodyShapeScanned(request) }));
    } catch (err) {
      done(err as never, undefined);
    }
  });

  registerErrorHandling(app, bodyLimit);
  decoratePrincipal(app);
  const metrics = registerMetrics(app, { queue, version: VERSION });
  // With Redis configured, counters live there so that a key's limit holds across API processes.
  const limitRedis = config.redis
    ? connectRedis(redisEndpoint(config.redis), {
        maxRetriesPerRequest: 1,
        commandTimeout: 2000,
        connectTimeout: 2000,
        enableAutoPipelining: true,
      })
    : null;
  if (limitRedis) {
    limitRedis.on('error', () => {
      /* reconnects; the job store's own 503 tells the client */
    });
    app.addHook('onClose', async () => {
      limitRedis.disconnect();
    });
  }
  const redisPrefix = limitRedis && config.redis ? redisKeyPrefix(config.redis) : null;
  // With PostgreSQL configured, in its rate_windows table, on a pool of their own with the request
  // path's timeout; as with Redis, a failed count is made in this process instead.
  const limitPostgres = config.postgres
    ? openPostgresPool(config.postgres, {
        queryTimeoutMs: POSTGRES_REQUEST_TIMEOUT_MS,
        // One short UPSERT per request: a few connections carry it (the job store keeps pool_size).
        max: 4,
        applicationName: 'ttv-limits',
      })
    : null;
  if (limitPostgres) {
    app.addHook('onClose', async () => {
      await limitPostgres.end();
    });
  }
  const limitsMigrated = config.postgres ? migrateOnce(config.postgres) : undefined;
  const postgresCounter = (prefix: string) =>
    limitPostgres ? new PostgresWindowCounter(limitPostgres, { prefix, ready: limitsMigrated }) : null;
  // First onRoute hook of all: each route's zone, rate-limit class, headers and metrics label,
  // decided once from the context that registers it.
  const policies = registerRoutePolicy(app, {
    headers: headerOptions,
    limiter: rateLimiter({
      submitPerMinute: config.security.rate_limit_per_minute,
      readPerMinute: config.security.read_rate_limit_per_minute,
      ...(limitRedis && redisPrefix ? { redis: limitRedis, redisPrefix: `${redisPrefix}:ratelimit:` } : {}),
      ...(limitPostgres ? { counter: postgresCounter('ratelimit:')! } : {}),
    }),
  });
  // First onRequest hook of all: a non-canonical target never reaches auth, limits or a handler.
  registerRequestPolicy(app, {
    policies,
    metrics,
    accessLog: accessLog(app.log),
    trustedProxies: config.security.trusted_proxies,
  });
  const corsEnabled = await registerCors(app, config.security.cors_origins);
  const token = new TokenMatcher(config.security.auth_token);
  const authenticator: Authenticator = deps.authenticator ?? {
    required: () => token.configured,
    resolve: async (secret) => token.match(secret),
  };
  // Open mode answers only loopback Hosts and same-origin writes (open-mode-guard.ts); the edge's
  // own name is served too, since Caddy passes the client's Host through.
  registerOpenModeGuard(app, {
    open: async () => !(await authenticator.required()),
    allowedHosts: [...config.server.allowed_hosts, config.edge.host],
    hostCheckAlways: config.server.allowed_hosts.length > 0,
    corsOrigins: config.security.cors_origins,
  });
  const authFailures = new AuthFailureLimit(
    config.security.auth_failures_per_minute,
    postgresCounter('authfail:') ??
      (limitRedis && redisPrefix
        ? new RedisWindowCounter(limitRedis, `${redisPrefix}:authfail:`)
        : new MemoryWindowCounter()),
  );

  await app.register(
    fastifySwagger,
    openApiOptions({
      version: VERSION,
      auth: Boolean(config.security.auth_token?.trim()),
      publicUrl: config.server.public_url,
    }),
  );
  await app.register(async (docs) => {
    setZone(docs, 'docs');
    await docs.register(fastifySwaggerUi, { routePrefix: '/docs', staticCSP: false });
  });

  // With CORS on, OPTIONS belongs to the preflight handler; otherwise it is a 405 like other methods.
  const fillMethodNotAllowed = collectRoutes(app, { includeOptions: !corsEnabled });
  // The job API: one encapsulated context whose onRequest hook authenticates, so that what is
  // protected is exactly what the router matched in it.
  await app.register(async (v1) => {
    setZone(v1, 'v1');
    requireAuth(v1, authenticator, authFailures);
    registerMultipartParser(v1, { maxParts: config.server.max_multipart_parts });
    const submission = {
      config,
      queue,
      estimateCost: deps.estimateCost,
      jobSecrets: deps.jobSecrets,
      maxQueued: config.worker.max_queued_jobs,
      maxQueuedPerKey: config.security.max_queued_jobs_per_key,
    };
    // Room for a first-frame image (base64 grows 4/3) where some key may send one.
    const imageBodyLimit = anyoneMay(config.server, 'image')
      ? Math.max(bodyLimit, Math.ceil((config.server.max_image_bytes * 4) / 3) + 64 * 1024)
      : undefined;
    // …and only for such a key, on the routes and content types that carry an image.
    registerBodyLimits(v1, {
      small: bodyLimit,
      image: imageBodyLimit ?? bodyLimit,
      json: bounds,
      mayCarryImage: (request) =>
        allowedJobOptions(config.server, request.principal ?? ANONYMOUS_PRINCIPAL).has('image'),
    });
    await v1.register(jobRoutes, { ...submission, store, ...(imageBodyLimit ? { imageBodyLimit } : {}) });
    await v1.register(capabilityRoutes, { config });
    await v1.register(modelRoutes, { config, bodyLimit });
    await v1.register(videoRoutes, {
      prefix: '/v1/videos',
      ...submission,
      store,
      bodyLimit,
      publicUrl: config.server.public_url,
      ...(imageBodyLimit ? { imageBodyLimit } : {}),
    });
    await v1.register(eventRoutes, {
      queue,
      heartbeatMs: config.server.sse_heartbeat_seconds * 1000,
      headers: headerOptions,
      maxStreams: config.server.max_sse_streams,
      maxStreamsPerClient: config.server.max_sse_streams_per_client,
      ...(deps.revocations ? { revocations: deps.revocations } : {}),
    });
    if (deps.keys) {
      await v1.register(keyRoutes, {
        config,
        keys: deps.keys,
        ...(deps.revocations ? { revocations: deps.revocations } : {}),
        ...(deps.logger ? { logger: deps.logger } : {}),
      });
    }
    await v1.register(artifactRoutes, {
      queue,
      store,
      defaultExpiresIn: defaultSignedUrlExpiration(config),
      publicUrl: config.server.public_url,
      section: 'v1',
    });
  });
  // Signed download links carry their own proof; they live outside the bearer-protected context.
  await app.register(artifactRoutes, {
    queue,
    store,
    defaultExpiresIn: defaultSignedUrlExpiration(config),
    publicUrl: config.server.public_url,
    section: 'files',
  });
  await app.register(async (ops) => {
    setZone(ops, 'ops');
    const disk = deps.disk === undefined ? dataDirGuard(config) : deps.disk;
    await ops.register(healthRoutes, {
      queue,
      store,
      metrics,
      version: VERSION,
      modelWarnings: deps.modelWarnings ?? [],
      ...(deps.problems ? { problems: deps.problems } : {}),
      ...(disk ? { disk } : {}),
    });
    ops.get('/openapi.json', { schema: openApiRouteSchema }, async () => app.swagger());
  });
  await app.register(async (page) => {
    setZone(page, 'page');
    await page.register(rootRoutes, { version: VERSION });
  });
  fillMethodNotAllowed();
  return app;
}
