// One message to one endpoint: signed in the Standard Webhooks style (a fresh webhook-timestamp
// and signature per attempt, the same webhook-id and body every time), retried with exponential
// backoff and jitter on network errors and non-2xx answers, bounded by max_attempts. Each attempt's
// outcome is written to the job log.
import type { WebhooksConfig } from '../config/schema.js';
import { displayUrl } from '../logging/redact.js';
import { signWebhook } from './webhook-signer.js';
import type { WebhookEvent } from './webhook-events.js';

import type { WebhookEndpoint } from './endpoints-for.js';

export type { WebhookEndpoint } from './endpoints-for.js';

export interface WebhookMessage {
  id: string;
  type: WebhookEvent;
  jobId: string;
  body: string;
}

export type DeliveryOutcome = 'delivered' | 'gave_up' | 'aborted';

export interface DeliveryContext {
  config: WebhooksConfig;
  log: (jobId: string, message: string) => Promise<void>;
  /** Stops the delivery (shutdown or a lost lease): nothing more is sent and nothing is logged. */
  signal: AbortSignal;
}

export async function deliverWebhook(ctx: DeliveryContext, endpoint: WebhookEndpoint, message: WebhookMessage): Promise<{ outcome: DeliveryOutcome; problem: string }> {
  const { config, signal } = ctx;
  const { type, jobId, body } = message;
  const shownUrl = displayUrl(endpoint.url);
  const log = (line: string) => ctx.log(jobId, line).catch(() => undefined);
  let problem = '';
  for (let attempt = 1; attempt <= config.max_attempts; attempt += 1) {
    if (signal.aborted) return { outcome: 'aborted', problem };
    const timestamp = Math.floor(Date.now() / 1000);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'ttv-webhooks/1',
      'webhook-id': message.id,
      'webhook-timestamp': String(timestamp),
    };
    if (endpoint.secret) headers['webhook-signature'] = signWebhook(endpoint.secret, message.id, timestamp, body);
    try {
      const res = await fetch(endpoint.url, {
        method: 'POST', headers, body, redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(config.timeout_seconds * 1000), signal]),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) {
        await log(`Webhook ${type} delivered to ${shownUrl} (attempt ${attempt}, HTTP ${res.status})`);
        return { outcome: 'delivered', problem: '' };
      }
      problem = `HTTP ${res.status}`;
    } catch (err) {
      if (signal.aborted) return { outcome: 'aborted', problem };
      problem = (err as Error).name === 'TimeoutError' ? 'timeout' : 'connection failed';
    }
    if (attempt < config.max_attempts) {
      await log(`Webhook ${type} to ${shownUrl} failed (attempt ${attempt}, ${problem}); retrying`);
      const delay = config.retry_base_seconds * 1000 * 2 ** (attempt - 1);
      await sleep(delay * (0.8 + Math.random() * 0.4), signal);
    }
  }
  if (signal.aborted) return { outcome: 'aborted', problem };
  await log(`Webhook ${type} to ${shownUrl} failed after ${config.max_attempts} attempts (${problem})`);
  return { outcome: 'gave_up', problem };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
