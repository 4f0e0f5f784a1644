// Assembles a running ttv process from config: job queue, artifact store, pipeline, API and/or
// worker, and shuts them down in order (stop intake, drain requests, hand back or finish jobs).
import { statSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from './config/schema.js';
import { collectSecrets, registerSecrets } from './logging/redact.js';
import { createLogger } from './logging/logger.js';
import { openJobQueue } from './jobs/open-job-queue.js';
import type { JobQueue } from './jobs/job-queue.js';
import { openArtifactStore } from './storage/open-artifact-store.js';
import type { ArtifactStore } from './storage/types.js';
import { createPipeline } from './pipeline/create-pipeline.js';
import { buildApp } from './api/app.js';
import { submitCostEstimator } from './job-options/cost-estimate.js';
import { assertSafeBind, loadTlsFiles } from './api/server.js';
import { Worker } from './worker/worker.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';
import { jobWebhookSecrets } from './webhooks/job-webhook-secret.js';
import { anyoneMay } from './job-options/option-policy.js';
import { chainLifecycleIssues } from './generators/registry.js';
import type { ModelLifecycleWarning } from './catalog/configured-models.js';
import { pipelineConfigIssues } from './pipeline/config-problems.js';
import { ConfigError } from './errors/config-error.js';
import { StoreUnavailableError } from './errors/store-unavailable-error.js';
import { openKeyStore } from './access/open-key-store.js';
import { KeyAuthenticator } from './access/key-authenticator.js';
import { KeyRevocations } from './access/key-revocations.js';
import { RetentionSweep } from './retention/retention-sweep.js';
import { dataDirGuard } from './storage/disk-guard.js';

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

/** A data dir ttv creates is 0700; one that existed keeps its mode, and a mode others can enter is worth a line. */
function warnIfShared(dataDir: string, logger: Logger): void {
  let mode: number;
  try {
    mode = statSync(dataDir).mode & 0o777;
  } catch {
    return; // not there yet: created private
  }
  if (mode & 0o077)
    logger.warn(
      { data_dir: dataDir, mode: mode.toString(8) },
      'the data dir is open to other users (job records, prompts, videos); chmod 700 it',
    );
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const { config } = options;
  if (options.api) assertSafeBind(config);
  registerSecrets(collectSecrets(config));
  const logger = options.logger ?? createLogger({ level: config.logging.level, secrets: collectSecrets(config) });
  warnIfShared(config.data_dir, logger);
  let modelWarnings: ModelLifecycleWarning[];
  if (options.worker) {
    // A worker whose default backend cannot run (or not in generation_mode) would fail every job: refuse to start instead.
    const backends = pipelineConfigIssues(config);
    if (backends.errors.length) throw new ConfigError(backends.errors);
    for (const warning of backends.warnings) logger.warn(warning);
    modelWarnings = backends.modelWarnings;
  } else {
    // An API-only process does not build the backends (their keys may live with the workers), but
    // it refuses a retired model too: every job it queued would fail.
    const lifecycle = chainLifecycleIssues(config);
    if (lifecycle.errors.length) throw new ConfigError(lifecycle.errors);
    for (const warning of lifecycle.modelWarnings) logger.warn(warning.message);
    modelWarnings = lifecycle.modelWarnings;
  }
  const queue = openJobQueue(config, logger.child({ component: 'job-store' }));
  // A store that prepares itself (PostgreSQL: migrations) and refuses this ttv (a schema a newer ttv
  // migrated) stops the start with its reason; one that is only unreachable now answers 503 until it is back.
  await queue.ready?.().catch(async (err: unknown) => {
    if (err instanceof StoreUnavailableError) {
      logger.warn({ err }, 'job store unreachable at start; requests answer 503 until it is back');
      return;
    }
    await queue.close().catch(() => undefined);
    throw err;
  });
  const store = await openArtifactStore(config);
  const jobSecrets = anyoneMay(config.server, 'webhook') ? jobWebhookSecrets(config) : undefined;
  // API processes follow the journal and deliver webhooks (one of them at a time: a lease).
  const webhooks = options.api
    ? new WebhookDispatcher({
        config: config.webhooks,
        queue,
        logger: logger.child({ component: 'webhooks' }),
        ...(jobSecrets ? { jobSecrets } : {}),
      })
    : null;
  let app: FastifyInstance | null = null;
  let worker: Worker | null = null;
  let url: string | null = null;
  let keys: ReturnType<typeof openKeyStore> | null = null;
  let revocations: KeyRevocations | null = null;
  let retention: RetentionSweep | null = null;
  // One guard per process: with `ttv serve` the worker's gate and /readyz read the same cached figure.
  const disk = dataDirGuard(config);
  try {
    if (options.worker) {
      worker = new Worker({
        config,
        queue,
        store,
        pipeline: createPipeline({ disk }),
        logger: logger.child({ component: 'worker' }),
        disk,
      });
      await worker.start();
    }
    if (options.api) {
      const tls = loadTlsFiles(config);
      keys = openKeyStore(config);
      const authenticator = new KeyAuthenticator({
        token: config.security.auth_token,
        keys,
        requireKey: config.security.require_api_key,
        logger,
      });
      revocations = new KeyRevocations({
        keys,
        onRevoked: (id) => authenticator.forget(id),
        onError: (err) => logger.debug({ err }, 'key revocation check failed; the next one retries'),
      });
      const workerProblems = () => worker?.problems() ?? [];
      // The API's own readiness names low disk when this process depends on the data dir: a worker here,
      // or the SQLite store or local artifacts in it (an API-only process on Redis and a bucket does not).
      const usesDataDir = worker !== null || queue.kind === 'sqlite' || store.kind === 'local';
      app = await buildApp({
        config,
        queue,
        store,
        logger,
        authenticator,
        keys,
        revocations,
        disk: usesDataDir ? disk : null,
        estimateCost: submitCostEstimator(config),
        problems: workerProblems,
        modelWarnings,
        ...(jobSecrets ? { jobSecrets } : {}),
        ...(tls ? { tls } : {}),
      });
      await app.listen({ host: config.server.host, port: config.server.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.server.port;
      const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
      url = `${tls ? 'https' : 'http'}://${host}:${port}`;
      logger.info({ url, store: store.kind, queue: queue.kind }, 'ttv listening');
      retention = new RetentionSweep({
        queue,
        store,
        retention: config.retention,
        logger: logger.child({ component: 'retention' }),
      });
      retention.start();
      webhooks?.start();
    }
  } catch (err) {
    await retention?.stop().catch(() => undefined);
    await worker?.stop(0).catch(() => undefined);
    await webhooks?.close(0).catch(() => undefined);
    await app?.close().catch(() => undefined);
    revocations?.close();
    await keys?.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
    throw err;
  }

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      // Stop taking HTTP requests first (in-flight ones drain), then let jobs finish or hand them back.
      await app?.close();
      await retention?.stop();
      await worker?.stop();
      await webhooks?.close();
      revocations?.close();
      await keys?.close();
      await queue.close();
      logger.flush();
    })();
    return stopping;
  };
  return { config, logger, queue, store, app, worker, url, stop };
}
