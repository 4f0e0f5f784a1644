// Prometheus metrics (prom-client) with the Python server's ttv_api_* names, plus its JSON summary.
import client from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { JobQueue, QueueStats } from '../../jobs/job-queue.js';
import { JobCounters, type JobCounts } from '../../jobs/job-counters.js';
import { RequestMetrics } from './request-metrics.js';

export interface ApiMetrics {
  registry: client.Registry;
  summary(): Promise<Record<string, unknown>>;
  /** Counts one answered request (request-policy.ts calls it on response); `route` is the router's pattern or "unmatched". */
  record(method: string, route: string, code: number, seconds: number, protocol: string): void;
}

export function registerMetrics(app: FastifyInstance, options: { queue: JobQueue; version: string }): ApiMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'ttv_' });
  // prom-client's gauges named *_total (promtool rejects them); the same counts stay per type in
  // ttv_nodejs_active_{handles,requests,resources}{type}.
  for (const kind of ['handles', 'requests', 'resources'])
    registry.removeSingleMetric(`ttv_nodejs_active_${kind}_total`);
  const startedAt = Date.now();
  const readStats = async (): Promise<QueueStats | null> => {
    try {
      return await options.queue.stats();
    } catch {
      return null;
    }
  };
  // prom-client runs every gauge's collect at once on a scrape: they share one read of the store,
  // so every gauge reports the same, current numbers (none lags a scrape behind).
  let inflight: Promise<QueueStats | null> | null = null;
  const queueStats = (): Promise<QueueStats | null> =>
    (inflight ??= readStats().finally(() => {
      inflight = null;
    }));
  // Job outcome counts come from the job journal (job-counters.ts), caught up at each scrape.
  const counters = new JobCounters(options.queue);
  const jobCounts = (): Promise<JobCounts | null> => counters.read().catch(() => null);
  // Also caught up now and then between scrapes, so that the Redis journal's trimming never outruns them.
  const catchUp = setInterval(() => void jobCounts(), 60_000);
  catchUp.unref();
  app.addHook('onClose', async () => clearInterval(catchUp));

  new client.Gauge({
    name: 'ttv_api_info',
    help: 'ttv build information',
    labelNames: ['version'],
    registers: [registry],
  }).set({ version: options.version }, 1);
  new client.Gauge({
    name: 'ttv_api_uptime_seconds',
    help: 'Seconds since the API process started',
    registers: [registry],
    collect() {
      this.set((Date.now() - startedAt) / 1000);
    },
  });
  const requests = new RequestMetrics(registry);
  new client.Gauge({
    name: 'ttv_api_queue_jobs',
    help: 'Jobs in the store by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const stats = await queueStats();
      if (!stats) return;
      this.set({ status: 'queued' }, stats.queued);
      this.set({ status: 'active' }, stats.active);
      this.set({ status: 'finished' }, stats.finished);
      this.set({ status: 'failed' }, stats.failed);
      this.set({ status: 'canceled' }, stats.canceled);
    },
  });
  // Python-compatible names (gauges that promtool flags for their _total suffix), and the same values
  // under correct gauge names.
  const compatibleGauges = (pythonName: string, name: string, help: string, value: () => Promise<number | null>) => {
    for (const [gauge, text] of [
      [pythonName, `${help} (Python-compatible name; see ${name})`],
      [name, help],
    ] as const) {
      new client.Gauge({
        name: gauge,
        help: text,
        registers: [registry],
        async collect() {
          const v = await value();
          if (v !== null) this.set(v);
        },
      });
    }
  };
  compatibleGauges('ttv_api_queue_depth_total', 'ttv_api_queue_depth', 'Jobs waiting or running', async () => {
    const stats = await queueStats();
    return stats ? stats.queued + stats.active : null;
  });
  new client.Gauge({
    name: 'ttv_queue_depth',
    help: 'Jobs in the queue backend by state (waiting, active, delayed)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      try {
        const depth = await options.queue.depth();
        this.set({ state: 'waiting' }, depth.waiting);
        this.set({ state: 'active' }, depth.active);
        this.set({ state: 'delayed' }, depth.delayed);
      } catch {
        /* store down: no sample */
      }
    },
  });
  compatibleGauges(
    'ttv_api_jobs_total',
    'ttv_api_jobs_processed',
    'Jobs that reached finished or failed, counted from the job journal',
    async () => {
      const counts = await jobCounts();
      return counts ? counts.finished + counts.failed : null;
    },
  );
  new client.Gauge({
    name: 'ttv_workers',
    help: 'Workers that heartbeated recently (all processes)',
    registers: [registry],
    async collect() {
      try {
        this.set(await options.queue.liveWorkers());
      } catch {
        /* store down: keep last value */
      }
    },
  });
  new client.Gauge({
    name: 'ttv_api_health_status',
    help: '1 when the component answers, else 0',
    labelNames: ['component'],
    registers: [registry],
    async collect() {
      this.set({ component: 'api' }, 1);
      try {
        await options.queue.ping();
        this.set({ component: 'job_store' }, 1);
      } catch {
        this.set({ component: 'job_store' }, 0);
      }
    },
  });

  return {
    registry,
    record: (method, route, code, seconds, protocol) => requests.record(method, route, code, seconds, protocol),
    async summary() {
      const [stats, counts] = await Promise.all([queueStats(), jobCounts()]);
      const uptime = Math.floor((Date.now() - startedAt) / 1000);
      const processed = counts ? counts.finished + counts.failed : 0;
      return {
        active_jobs: stats?.active ?? 0,
        queued_jobs: stats?.queued ?? 0,
        total_jobs_processed: processed,
        average_processing_time: stats?.averageProcessingSeconds ?? 0,
        uptime_seconds: uptime,
        total_requests: requests.totalRequests,
        average_request_latency: requests.totalRequests
          ? Math.round((requests.totalLatency / requests.totalRequests) * 1000) / 1000
          : 0,
        requests_per_second: uptime > 0 ? Math.round((requests.totalRequests / uptime) * 100) / 100 : 0,
        jobs_per_hour: uptime > 0 ? Math.round((processed / (uptime / 3600)) * 100) / 100 : 0,
        queue_depth: stats ? stats.queued + stats.active : 0,
        status_code_distribution: { ...requests.statusCodes },
        store_available: stats !== null,
      };
    },
  };
}
