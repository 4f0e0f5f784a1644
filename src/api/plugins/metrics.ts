// Prometheus metrics (prom-client) with the Python server's ttv_api_* names, plus its JSON summary.
import client from 'prom-client';
import type { FastifyInstance } from 'fastify';
import { clientProtocol } from './client-protocol.js';
import type { JobQueue, QueueStats } from '../../jobs/job-queue.js';
import { JobCounters, type JobCounts } from '../../jobs/job-counters.js';

export interface ApiMetrics {
  registry: client.Registry;
  summary(): Promise<Record<string, unknown>>;
}

export function registerMetrics(app: FastifyInstance, options: { queue: JobQueue; version: string; trustedProxies: string[] }): ApiMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'ttv_' });
  // prom-client's gauges named *_total (promtool rejects them); the same counts stay per type in
  // ttv_nodejs_active_{handles,requests,resources}{type}.
  for (const kind of ['handles', 'requests', 'resources']) registry.removeSingleMetric(`ttv_nodejs_active_${kind}_total`);
  const startedAt = Date.now();
  let totalRequests = 0;
  let totalLatency = 0;
  const statusCodes: Record<number, number> = {};
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
  const queueStats = (): Promise<QueueStats | null> => (inflight ??= readStats().finally(() => { inflight = null; }));
  // Job outcome counts come from the job journal (job-counters.ts), caught up at each scrape.
  const counters = new JobCounters(options.queue);
  const jobCounts = (): Promise<JobCounts | null> => counters.read().catch(() => null);
  // Also caught up now and then between scrapes, so that the Redis journal's trimming never outruns them.
  const catchUp = setInterval(() => void jobCounts(), 60_000);
  catchUp.unref();
  app.addHook('onClose', async () => clearInterval(catchUp));

  new client.Gauge({ name: 'ttv_api_info', help: 'ttv build information', labelNames: ['version'], registers: [registry] }).set({ version: options.version }, 1);
  new client.Gauge({
    name: 'ttv_api_uptime_seconds', help: 'Seconds since the API process started', registers: [registry],
    collect() { this.set((Date.now() - startedAt) / 1000); },
  });
  const requests = new client.Counter({
    name: 'ttv_api_http_requests_total', help: 'HTTP requests by method, route and status code',
    labelNames: ['method', 'route', 'code'], registers: [registry],
  });
  const duration = new client.Histogram({
    name: 'ttv_api_request_duration_seconds', help: 'HTTP request latency in seconds',
    labelNames: ['method', 'route'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 2.5, 5, 10], registers: [registry],
  });
  new client.Gauge({
    name: 'ttv_api_queue_jobs', help: 'Jobs in the store by status', labelNames: ['status'], registers: [registry],
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
    for (const [gauge, text] of [[pythonName, `${help} (Python-compatible name; see ${name})`], [name, help]] as const) {
      new client.Gauge({ name: gauge, help: text, registers: [registry], async collect() { const v = await value(); if (v !== null) this.set(v); } });
    }
  };
  compatibleGauges('ttv_api_queue_depth_total', 'ttv_api_queue_depth', 'Jobs waiting or running', async () => {
    const stats = await queueStats();
    return stats ? stats.queued + stats.active : null;
  });
  new client.Gauge({
    name: 'ttv_queue_depth', help: 'Jobs in the queue backend by state (waiting, active, delayed)', labelNames: ['state'], registers: [registry],
    async collect() {
      try {
        const depth = await options.queue.depth();
        this.set({ state: 'waiting' }, depth.waiting);
        this.set({ state: 'active' }, depth.active);
        this.set({ state: 'delayed' }, depth.delayed);
      } catch { /* store down: no sample */ }
    },
  });
  compatibleGauges('ttv_api_jobs_total', 'ttv_api_jobs_processed', 'Jobs that reached finished or failed, counted from the job journal', async () => {
    const counts = await jobCounts();
    return counts ? counts.finished + counts.failed : null;
  });
  new client.Gauge({
    name: 'ttv_workers', help: 'Workers that heartbeated recently (all processes)', registers: [registry],
    async collect() { try { this.set(await options.queue.liveWorkers()); } catch { /* store down: keep last value */ } },
  });
  new client.Gauge({
    name: 'ttv_api_health_status', help: '1 when the component answers, else 0', labelNames: ['component'], registers: [registry],
    async collect() {
      this.set({ component: 'api' }, 1);
      try { await options.queue.ping(); this.set({ component: 'job_store' }, 1); } catch { this.set({ component: 'job_store' }, 0); }
    },
  });

  const protocols = new client.Counter({
    name: 'ttv_api_requests_by_protocol_total', help: 'Requests by the client\'s HTTP protocol (as the edge saw it)',
    labelNames: ['protocol'], registers: [registry],
  });
  // prom-client hashes a label object on every inc/observe; the label children are kept instead, one
  // per (route, method, code), looked up without building a key string. That set is bounded: Node
  // parses only known methods, routes are the router's patterns (or "unmatched") and codes are ours.
  type Children = { requests: client.Counter.Internal; duration: client.Histogram.Internal<string> };
  const byRoute = new Map<string, Map<string, Map<number, Children>>>();
  const byProtocol = new Map<string, client.Counter.Internal>();
  const childrenFor = (method: string, route: string, code: number): Children => {
    let byMethod = byRoute.get(route);
    if (!byMethod) byRoute.set(route, (byMethod = new Map()));
    let byCode = byMethod.get(method);
    if (!byCode) byMethod.set(method, (byCode = new Map()));
    let children = byCode.get(code);
    if (!children) {
      children = { requests: requests.labels({ method, route, code: String(code) }), duration: duration.labels({ method, route }) };
      byCode.set(code, children);
    }
    return children;
  };
  app.addHook('onResponse', (request, reply, done) => {
    const protocol = clientProtocol(request, options.trustedProxies);
    let protocolChild = byProtocol.get(protocol);
    if (!protocolChild) byProtocol.set(protocol, (protocolChild = protocols.labels({ protocol })));
    protocolChild.inc();
    const seconds = reply.elapsedTime / 1000;
    const code = reply.statusCode;
    totalRequests += 1;
    totalLatency += seconds;
    statusCodes[code] = (statusCodes[code] ?? 0) + 1;
    const children = childrenFor(request.method, request.routeOptions.url ?? 'unmatched', code);
    children.requests.inc();
    children.duration.observe(seconds);
    done();
  });

  return {
    registry,
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
        total_requests: totalRequests,
        average_request_latency: totalRequests ? Math.round((totalLatency / totalRequests) * 1000) / 1000 : 0,
        requests_per_second: uptime > 0 ? Math.round((totalRequests / uptime) * 100) / 100 : 0,
        jobs_per_hour: uptime > 0 ? Math.round((processed / (uptime / 3600)) * 100) / 100 : 0,
        queue_depth: stats ? stats.queued + stats.active : 0,
        status_code_distribution: { ...statusCodes },
        store_available: stats !== null,
      };
    },
  };
}
