// Assembles a running ttv process from config: job queue, artifact store, pipeline, API and/or
// worker, and shuts them down in order (stop intake, drain requests, hand back or finish jobs).
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from './config/schema.js';
import { collectSecrets, registerSecrets } from './config/redact.js';
import { createLogger } from './logging/logger.js';
import { openJobQueue } from './jobs/open-job-queue.js';
import type { JobQueue } from './jobs/job-queue.js';
import { openArtifactStore } from './storage/open-artifact-store.js';
import type { ArtifactStore } from './storage/types.js';
import { createPipeline } from './pipeline/pipeline.js';
import { buildApp } from './api/app.js';
import { submitCostEstimator } from './pipeline/submit-cost-estimate.js';
import { assertSafeBind, loadTlsFiles } from './api/server.js';
import { Worker } from './worker/worker.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { backendConfigIssues } from './generators/registry.js';
import { ConfigError } from './config/config-error.js';
import { openKeyStore } from './access/open-key-store.js';
import { KeyAuthenticator } from './access/key-authenticator.js';

export interface ServiceOptions {
  config: AppConfig;
  api: boolean;
  worker: boolean;
  logger?: Logger;
}

export interface Service {
  config: AppConfig;
  logger: Logger;
  queue: JobQueue;
  store: ArtifactStore;
  app: FastifyInstance | null;
  worker: Worker | null;
  /** Base URL the API listens on, e.g. http://127.0.0.1:8000. */
  url: string | null;
  stop(): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const { config } = options;
  if (options.api) assertSafeBind(config);
  registerSecrets(collectSecrets(config));
  const logger = options.logger ?? createLogger({ level: config.logging.level, secrets: collectSecrets(config) });
  if (options.worker) {
    // A worker whose default backend cannot run would fail every job: refuse to start instead.
    const backends = backendConfigIssues(config);
    if (backends.errors.length) throw new ConfigError(backends.errors);
    for (const warning of backends.warnings) logger.warn(warning);
  }
  const queue = openJobQueue(config, logger.child({ component: 'job-store' }));
  const store = await openArtifactStore(config);
  const webhooks = new WebhookDispatcher({
    config: config.webhooks,
    log: (jobId, message) => queue.appendLog(jobId, message),
    logger: logger.child({ component: 'webhooks' }),
  });
  let app: FastifyInstance | null = null;
  let worker: Worker | null = null;
  let url: string | null = null;
  let keys: ReturnType<typeof openKeyStore> | null = null;
  try {
    if (options.worker) {
      worker = new Worker({ config, queue, store, pipeline: createPipeline(config), logger: logger.child({ component: 'worker' }), webhooks });
      await worker.start();
    }
    if (options.api) {
      const tls = loadTlsFiles(config);
      keys = openKeyStore(config);
      const authenticator = new KeyAuthenticator({ token: config.security.auth_token, keys, requireKey: config.security.require_api_key, logger });
      const workerProblems = () => worker?.problems() ?? [];
      app = await buildApp({ config, queue, store, logger, webhooks, authenticator, estimateCost: submitCostEstimator(config), problems: workerProblems, ...(tls ? { tls } : {}) });
      await app.listen({ host: config.server.host, port: config.server.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.server.port;
      const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
      url = `${tls ? 'https' : 'http'}://${host}:${port}`;
      logger.info({ url, store: store.kind, queue: queue.kind }, 'ttv listening');
    }
  } catch (err) {
    await worker?.stop(0).catch(() => undefined);
    await app?.close().catch(() => undefined);
    await keys?.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    throw err;
  }

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      // Stop taking HTTP requests first (in-flight ones drain), then let jobs finish or hand them back.
      await app?.close();
      await worker?.stop();
      await webhooks.close();
      await keys?.close();
      await queue.close();
      logger.flush();
    })();
    return stopping;
  };
  return { config, logger, queue, store, app, worker, url, stop };
}
