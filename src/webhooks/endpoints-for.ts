// Which endpoints receive one job's events: the operator's (webhooks.endpoints / urls) and the job's
// own (its `webhook` option, signed with the job's derived secret). Every dispatcher asks this one
// function, so the rule lives in one place.
import type { WebhooksConfig } from '../config/schema.js';
import type { PublicJobOptions } from '../jobs/stored-job-options.js';
import type { JobSecretFor } from './job-webhook-secret.js';

import type { WebhookEvent } from './webhook-events.js';

export type { WebhookEvent } from './webhook-events.js';

export interface WebhookEndpoint {
  url: string;
  secret: string | null;
  events: ReadonlySet<WebhookEvent>;
  /** A client-chosen URL: its host must still resolve to public addresses when it is called. */
  publicOnly?: boolean;
}

/** The operator's endpoints, built once from config. */
export function configuredEndpoints(config: WebhooksConfig): WebhookEndpoint[] {
  return [
    ...config.endpoints.map((e) => ({
      url: e.url,
      secret: e.secret ?? config.secret,
      events: new Set((e.events ?? config.events) as WebhookEvent[]),
    })),
    ...config.urls.map((url) => ({ url, secret: config.secret, events: new Set(config.events as WebhookEvent[]) })),
  ];
}

/** The job's endpoints: the configured ones plus its own webhook, if it has one. */
export function endpointsFor(
  job: { id: string; options: PublicJobOptions | null },
  configured: readonly WebhookEndpoint[],
  secretFor: JobSecretFor,
  options: { allowPrivate: boolean } = { allowPrivate: false },
): WebhookEndpoint[] {
  const own = job.options?.webhook;
  if (!own) return [...configured];
  return [
    ...configured,
    {
      url: own.url,
      secret: secretFor(job.id),
      events: new Set(own.events as WebhookEvent[]),
      publicOnly: !options.allowPrivate,
    },
  ];
}
