// One way into the queue for /v1/jobs and /v1/videos: the options a principal may send are checked
// against the allow-list, turned into their stored form (image bytes, webhook with default events),
// checked against the backend that will render them, priced, and submitted under the caller's limits.
import type { FastifyRequest } from 'fastify';
import type { AppConfig, JobOptionName } from '../config/schema.js';
import { JOB_OPTION_NAMES, WEBHOOK_EVENTS } from '../config/schema.js';
import type { JobQueue, SubmitResult } from '../jobs/job-queue.js';
import type { JobRequest } from '../jobs/job.js';
import type { JobOptions } from '../jobs/stored-job-options.js';
import { allowedJobOptions } from '../job-options/option-policy.js';
import { jobOptionProblems } from '../job-options/option-problems.js';
import { publicUrlProblem } from '../http/outbound-http.js';
import type { JobSecretFor } from '../webhooks/job-webhook-secret.js';
import { ValidationError, type FieldProblem } from '../errors/validation-error.js';
import { ApiError } from '../errors/api-error.js';
import { imageFromBytes, imageFromString } from './job-image.js';
import { requireDecodableImage } from './job-image-decode.js';
import { imageUrlProblem } from './image-url.js';
import { principalOf } from './routes/owned-job.js';

export interface SubmissionDeps {
  config: AppConfig;
  queue: JobQueue;
  estimateCost?: (request: JobRequest) => number | null;
  jobSecrets?: JobSecretFor;
  /** worker.max_queued_jobs (503 QueueFull beyond). */
  maxQueued?: number | null;
  /** security.max_queued_jobs_per_key (429 QueueFull beyond). */
  maxQueuedPerKey?: number | null;
}

/** Options as parsed from the body; `image` is a data URI/URL string or uploaded bytes. */
export type RawJobOptions = Partial<Omit<JobOptions, 'image' | 'webhook'>> & {
  image?: string | Buffer;
  webhook?: { url: string; events?: string[] | undefined };
};

export function allowedFor(config: AppConfig, request: FastifyRequest): ReadonlySet<JobOptionName> {
  return allowedJobOptions(config.server, principalOf(request));
}

/** 400 for every option sent that the principal may not send. */
export function refuseDisallowed(sent: readonly string[], allowed: ReadonlySet<JobOptionName>, field: (name: string) => string = (n) => `options.${n}`): void {
  const list = [...allowed].join(', ');
  const problems: FieldProblem[] = sent
    .filter((name) => !allowed.has(name as JobOptionName))
    .map((name) => ({ field: field(name), message: `is not allowed on this server (${list ? `allowed options: ${list}` : 'it accepts no per-job options'}; the server setting server.job_options lists those clients may send)` }));
  if (problems.length) throw new ValidationError(problems);
}

/** The stored options, in a fixed key order (so an idempotent replay hashes the same). */
export async function storedOptions(raw: RawJobOptions, config: AppConfig): Promise<JobOptions> {
  const out: JobOptions = {};
  for (const name of JOB_OPTION_NAMES) {
    const value = raw[name];
    if (value === undefined) continue;
    if (name === 'image') {
      const rules = { maxBytes: config.server.max_image_bytes, fetchUrls: config.server.fetch_image_urls, field: 'options.image' };
      const image = Buffer.isBuffer(value) ? imageFromBytes(value, rules) : await imageFromString(value as string, rules);
      out.image = image;
      // Decoded, not sniffed: type, dimensions and pixel count within the caps. What a downloaded
      // image turned out to be stays unsaid, like the download's other failures (image-url.ts).
      const downloaded = typeof value === 'string' && !value.startsWith('data:');
      await requireDecodableImage(image, config, rules.field, downloaded ? () => imageUrlProblem(rules.field, 'not_an_image', rules.maxBytes) : undefined);
    } else if (name === 'webhook') {
      const hook = value as NonNullable<RawJobOptions['webhook']>;
      if (!config.webhooks.allow_private_urls) {
        // Said in the client's words only: what the host resolves to stays with the server.
        const problem = await publicUrlProblem(hook.url);
        if (problem?.failure === 'refused') throw new ValidationError([{ field: 'options.webhook.url', message: 'is refused: its host is not a public address (webhooks.allow_private_urls is off)' }]);
        if (problem) throw new ValidationError([{ field: 'options.webhook.url', message: 'is unreachable: its host does not resolve' }]);
      }
      out.webhook = { url: hook.url, events: hook.events ?? [...WEBHOOK_EVENTS] };
    } else {
      (out as Record<string, unknown>)[name] = value;
    }
  }
  return out;
}

export interface Submission {
  result: SubmitResult;
  /** The job's own webhook secret, when it has a webhook: returned to the client this once. */
  webhookSecret: string | null;
}

export async function submitJob(deps: SubmissionDeps, request: FastifyRequest, jobRequest: JobRequest, idempotencyKey: string | undefined): Promise<Submission> {
  const problems = jobOptionProblems(deps.config, jobRequest);
  if (problems.length) throw new ValidationError(problems);
  const principal = principalOf(request);
  const budgetUsd = principal.limits.monthlyBudgetUsd;
  const result = await deps.queue.submit(jobRequest, {
    idempotencyKey, estimatedCostUsd: deps.estimateCost?.(jobRequest) ?? null, owner: principal.keyId,
    maxQueued: deps.maxQueued ?? null, maxQueuedForOwner: deps.maxQueuedPerKey ?? null,
    budget: budgetUsd === null ? null : { month: new Date().toISOString().slice(0, 7), limitUsd: budgetUsd },
  });
  if (result.outcome === 'key_mismatch') {
    throw new ApiError('IdempotencyKeyMismatch', 'Idempotency-Key was already used with a different request body', { job_id: result.job.id });
  }
  const hasHook = result.job.request?.options?.webhook !== undefined;
  return { result, webhookSecret: hasHook && deps.jobSecrets ? deps.jobSecrets(result.job.id) : null };
}
