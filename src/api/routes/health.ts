// Liveness, readiness, metrics and the service description.
import type { FastifyInstance } from 'fastify';
import type { JobQueue } from '../../jobs/job-queue.js';
import { redactText } from '../../logging/redact.js';
import type { ArtifactStore } from '../../storage/types.js';
import type { ApiMetrics } from '../plugins/metrics.js';
import type { ModelLifecycleWarning } from '../../catalog/configured-models.js';
import {
  livenessRouteSchema,
  metricsRouteSchema,
  prometheusRouteSchema,
  readinessRouteSchema,
} from '../route-schemas.js';

export interface HealthRoutesOptions {
  queue: JobQueue;
  store: ArtifactStore;
  metrics: ApiMetrics;
  version: string;
  /** Named causes reported by this process's parts (e.g. a worker whose outcome writes fail). */
  problems?: () => ReadinessProblem[];
  /** Models of the backend chain that shut down within 30 days (found at startup). */
  modelWarnings?: ModelLifecycleWarning[];
  /** Free space under the data dir (worker.min_free_disk_mb): a reason when too low, else null. */
  disk?: { reason(): string | null };
}

export interface ReadinessProblem {
  reason: string;
  message: string;
}

type Health = 'healthy' | 'unhealthy';

async function check(fn: () => Promise<unknown>, timeoutMs = 2000): Promise<Health> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
      }),
    ]);
    return 'healthy';
  } catch {
    return 'unhealthy';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A store that lost its data (Redis restarted without persistence) is a warning, not unreadiness: the
 * service works again from that moment, and an unready verdict would take every instance out of a load
 * balancer at once. The log has the error line; the warning stays until the operator clears it.
 */
async function storeWarnings(queue: JobQueue) {
  if (!queue.storeWarnings) return [];
  try {
    return (await queue.storeWarnings()).map((w) => ({ component: 'job_store' as const, ...w }));
  } catch {
    return []; // the store just became unreachable: job_store reports it on the next check
  }
}

export async function healthRoutes(app: FastifyInstance, options: HealthRoutesOptions): Promise<void> {
  const { queue, store, metrics, version, disk } = options;
  // model_shutdown_soon: a deprecated model of the chain shuts down within 30 days; jobs still run.
  const modelWarnings = (options.modelWarnings ?? []).map((w) => ({
    component: 'video_backend' as const,
    reason: 'model_shutdown_soon' as const,
    message: w.message,
    backend: w.backend,
    model: w.model,
    shutdown: w.shutdown,
  }));

  app.get('/healthz', { schema: livenessRouteSchema }, async () => ({
    status: 'healthy',
    timestamp: new Date().toISOString(),
    version,
    components: { api: 'healthy' },
  }));

  app.get('/readyz', { schema: readinessRouteSchema }, async (_request, reply) => {
    let liveWorkers = 0;
    let blocked: { worker_id: string; reason: string }[] = [];
    const [jobStore, queueHealth, artifactStore, workers] = await Promise.all([
      check(() => queue.ping()),
      check(() => queue.stats()),
      check(() => store.ping()),
      check(async () => {
        // Every live worker with its claim state from its heartbeat, whichever process or host runs it.
        const states = await queue.workerStates();
        liveWorkers = states.length;
        blocked = states
          .filter((w) => !w.canClaim)
          .map((w) => ({ worker_id: w.workerId, reason: redactText(w.reason ?? 'takes no new jobs') }));
        if (liveWorkers < 1) throw new Error('no live workers');
        // Live workers that all refuse new jobs (e.g. their disk is full): jobs would queue forever.
        // While some worker still takes jobs the service is ready, and the others are listed.
        if (blocked.length === liveWorkers) throw new Error('no live worker takes new jobs');
      }),
    ]);
    // outcome_not_recorded: an attempt's outcome cannot be written (store down, disk full); it is retried.
    const problems = (options.problems?.() ?? []).map((p) => ({ reason: p.reason, message: p.message }));
    // low_disk_space: below worker.min_free_disk_mb no worker on this data dir takes a job.
    const diskReason = disk?.reason() ?? null;
    if (diskReason) problems.push({ reason: 'low_disk_space', message: diskReason });
    const components = {
      api: 'healthy' as Health,
      job_store: jobStore,
      queue: queueHealth,
      artifact_store: artifactStore,
      workers,
      disk: (diskReason ? 'unhealthy' : 'healthy') as Health,
    };
    const ready = Object.values(components).every((c) => c === 'healthy') && problems.length === 0;
    return reply.code(ready ? 200 : 503).send({
      status: ready ? 'ready' : 'not_ready',
      timestamp: new Date().toISOString(),
      version,
      components,
      live_workers: liveWorkers,
      // Live workers that take no new job now, with their reason (e.g. low disk space on their data dir).
      workers_blocked: blocked,
      problems,
      // job_store_data_lost: Redis lost the data ttv stored (redis-store-marker.ts); a warning, see storeWarnings.
      warnings: [...(jobStore === 'healthy' ? await storeWarnings(queue) : []), ...modelWarnings],
    });
  });

  const prometheus = async (_request: unknown, reply: import('fastify').FastifyReply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());

  app.get('/metrics', { schema: metricsRouteSchema }, async (request, reply) => {
    const accept = request.headers.accept ?? '';
    if (accept.includes('application/json')) return metrics.summary();
    return prometheus(request, reply);
  });
  app.get('/metrics/prometheus', { schema: prometheusRouteSchema }, prometheus);
}
