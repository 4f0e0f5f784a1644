// One message to one endpoint: signed in the Standard Webhooks style (a fresh webhook-timestamp
// and signature per attempt, the same webhook-id and body every time), retried with exponential
// backoff and jitter on network errors and non-2xx answers, bounded by max_attempts. Each attempt
// waits for its turn in the endpoint host's lane (delivery-lanes.ts) and then has timeout_seconds;
// backoff waits hold no lane. A client-named endpoint goes through the public-only client, which
// checks the addresses of every connection it opens (outbound-http.ts), so a retry is checked
// again. Each attempt's outcome is written to the job log: for a client-named endpoint only as
// "refused", "unreachable" or the endpoint's HTTP status, never whether a port answered.
import type { WebhooksConfig } from '../config/schema.js';
import { displayUrl } from '../logging/redact.js';
import { outboundFailure, type OutboundHttp, type Response } from '../http/outbound-http.js';
import type { DeliveryLanes } from './delivery-lanes.js';
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
  lanes: DeliveryLanes;
  /** Clients for the operator's endpoints (any address) and client-named ones (public addresses only). */
  http: { trusted: OutboundHttp; publicOnly: OutboundHttp };
}

/** The lane an endpoint's attempts wait in: its host name (every port of a host shares one). */
export function laneOf(url: string): string {
  return new URL(url).hostname;
}

/** Reads at most a little of an answer we do not use, so the connection can be kept; a larger one is dropped. */
async function discard(res: Response): Promise<void> {
  if (!res.body) return;
  let read = 0;
  for await (const chunk of res.body) {
    read += chunk.length;
    if (read > 64 * 1024) break;
  }
}

export async function deliverWebhook(
  ctx: DeliveryContext,
  endpoint: WebhookEndpoint,
  message: WebhookMessage,
): Promise<{ outcome: DeliveryOutcome; problem: string }> {
  const { config, signal } = ctx;
  const { type, jobId, body } = message;
  const shownUrl = displayUrl(endpoint.url);
  const log = (line: string) => ctx.log(jobId, line).catch(() => undefined);
  let problem = '';
  const http = endpoint.publicOnly ? ctx.http.publicOnly : ctx.http.trusted;
  const lane = laneOf(endpoint.url);
  for (let attempt = 1; attempt <= config.max_attempts; attempt += 1) {
    if (signal.aborted) return { outcome: 'aborted', problem };
    try {
      const status = await ctx.lanes.run(
        lane,
        async () => {
          // Signed when it is sent: the wait for the lane does not age the timestamp.
          const timestamp = Math.floor(Date.now() / 1000);
          const headers: Record<string, string> = {
            'content-type': 'application/json',
            'user-agent': 'ttv-webhooks/1',
            'webhook-id': message.id,
            'webhook-timestamp': String(timestamp),
          };
          if (endpoint.secret) headers['webhook-signature'] = signWebhook(endpoint.secret, message.id, timestamp, body);
          const res = await http.fetch(endpoint.url, {
            method: 'POST',
            headers,
            body,
            signal: AbortSignal.any([AbortSignal.timeout(config.timeout_seconds * 1000), signal]),
          });
          await discard(res).catch(() => undefined);
          return res.status;
        },
        signal,
      );
      if (status >= 200 && status < 300) {
        await log(`Webhook ${type} delivered to ${shownUrl} (attempt ${attempt}, HTTP ${status})`);
        return { outcome: 'delivered', problem: '' };
      }
      problem = `HTTP ${status}`;
    } catch (err) {
      if (signal.aborted) return { outcome: 'aborted', problem };
      const failure = outboundFailure(err);
      if (endpoint.publicOnly) problem = failure === 'refused' ? 'refused' : 'unreachable';
      else problem = failure === 'timeout' ? 'timeout' : 'connection failed';
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
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
