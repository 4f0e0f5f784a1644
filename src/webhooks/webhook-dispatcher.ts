// Delivers job events to the operator's webhook endpoints, signed in the Standard Webhooks style,
// retried with exponential backoff and jitter on network errors and non-2xx answers, bounded by
// max_attempts. Each delivery's outcome is written to the job log.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebhooksConfig } from '../config/schema.js';
import { displayUrl, redactText } from '../config/redact.js';
import type { JobView } from '../jobs/job.js';
import { signWebhook } from './webhook-signer.js';
import { configuredEndpoints, endpointsFor, type WebhookEndpoint, type WebhookEvent } from './endpoints-for.js';
import type { JobSecretFor } from './job-webhook-secret.js';
import { nonPublicReason } from '../http/public-address.js';

export type { WebhookEvent } from './endpoints-for.js';
type Endpoint = WebhookEndpoint;

export interface WebhookDispatcherOptions {
  config: WebhooksConfig;
  /** Writes a line to the job's log (deliveries are visible there). */
  log: (jobId: string, message: string) => Promise<void>;
  logger?: Logger;
  /** Jobs may carry their own webhook (server.job_options has `webhook`): its secret per job id. */
  jobSecrets?: JobSecretFor;
}

export class WebhookDispatcher {
  private readonly endpoints: Endpoint[];
  private readonly lastProgress = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.endpoints = configuredEndpoints(options.config);
  }

  get enabled(): boolean {
    return this.endpoints.length > 0 || this.options.jobSecrets !== undefined;
  }

  /** Queues deliveries of one event; job.progress is throttled per job. Never throws. */
  emit(type: WebhookEvent, job: JobView): void {
    if (!this.enabled || this.closed) return;
    if (type === 'job.progress') {
      const now = Date.now();
      const last = this.lastProgress.get(job.id) ?? 0;
      if (now - last < this.options.config.progress_interval_seconds * 1000) return;
      this.lastProgress.set(job.id, now);
    }
    if (type === 'job.finished' || type === 'job.failed' || type === 'job.canceled') this.lastProgress.delete(job.id);
    const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data: job });
    const endpoints = this.options.jobSecrets
      ? endpointsFor(job, this.endpoints, this.options.jobSecrets, { allowPrivate: this.options.config.allow_private_urls })
      : this.endpoints;
    for (const endpoint of endpoints) {
      if (!endpoint.events.has(type)) continue;
      const delivery = this.deliver(endpoint, type, job.id, body).finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  /** Waits for deliveries in flight (up to graceMs), then abandons the rest. */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all([...this.inFlight]), new Promise((r) => { timer = setTimeout(r, graceMs); })]);
    clearTimeout(timer);
    this.abort.abort();
  }

  private async deliver(endpoint: Endpoint, type: WebhookEvent, jobId: string, body: string): Promise<void> {
    const { config } = this.options;
    const messageId = `msg_${randomUUID()}`;
    const shownUrl = displayUrl(endpoint.url);
    let lastProblem = '';
    // Checked again at delivery: a name that resolved to a public address at submission may not now.
    const refused = endpoint.publicOnly ? await nonPublicReason(endpoint.url) : null;
    if (refused) {
      await this.options.log(jobId, `Webhook ${type} to ${shownUrl} not sent: ${refused}`).catch(() => undefined);
      return;
    }
    for (let attempt = 1; attempt <= config.max_attempts; attempt += 1) {
      const timestamp = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'ttv-webhooks/1',
        'webhook-id': messageId,
        'webhook-timestamp': String(timestamp),
      };
      if (endpoint.secret) headers['webhook-signature'] = signWebhook(endpoint.secret, messageId, timestamp, body);
      try {
        const res = await fetch(endpoint.url, {
          method: 'POST', headers, body, redirect: 'manual',
          signal: AbortSignal.any([AbortSignal.timeout(config.timeout_seconds * 1000), this.abort.signal]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) {
          await this.options.log(jobId, `Webhook ${type} delivered to ${shownUrl} (attempt ${attempt}, HTTP ${res.status})`).catch(() => undefined);
          return;
        }
        lastProblem = `HTTP ${res.status}`;
      } catch (err) {
        if (this.abort.signal.aborted) return;
        lastProblem = (err as Error).name === 'TimeoutError' ? 'timeout' : 'connection failed';
      }
      if (attempt < config.max_attempts) {
        await this.options.log(jobId, `Webhook ${type} to ${shownUrl} failed (attempt ${attempt}, ${lastProblem}); retrying`).catch(() => undefined);
        const delay = config.retry_base_seconds * 1000 * 2 ** (attempt - 1);
        const jittered = delay * (0.8 + Math.random() * 0.4);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, jittered);
          this.abort.signal.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
        });
        if (this.abort.signal.aborted) return;
      }
    }
    this.options.logger?.warn({ type, jobId, url: shownUrl, problem: lastProblem }, 'webhook delivery gave up');
    await this.options.log(jobId, `Webhook ${type} to ${shownUrl} failed after ${config.max_attempts} attempts (${lastProblem})`).catch(() => undefined);
  }
}
