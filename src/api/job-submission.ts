// One way into the queue for /v1/jobs and /v1/videos: a job whose options (parsed and allowed in
// job-options/option-parsing.ts) fit the backend that will render them is priced and submitted under
// the caller's limits.
import type { FastifyRequest } from 'fastify';
import type { AppConfig, JobOptionName } from '../config/schema.js';
import type { JobQueue, SubmitResult } from '../jobs/job-queue.js';
import type { JobRequest } from '../jobs/job.js';
import { allowedJobOptions } from '../job-options/option-policy.js';
import { jobOptionProblems } from '../job-options/option-problems.js';
import type { JobSecretFor } from '../webhooks/job-webhook-secret.js';
import { ValidationError } from '../errors/validation-error.js';
import { ApiError } from '../errors/api-error.js';
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

export function allowedFor(config: AppConfig, request: FastifyRequest): ReadonlySet<JobOptionName> {
  return allowedJobOptions(config.server, principalOf(request));
}

export interface Submission {
  result: SubmitResult;
  /** The job's own webhook secret, when it has a webhook: returned to the client this once. */
  webhookSecret: string | null;
}

export async function submitJob(
  deps: SubmissionDeps,
  request: FastifyRequest,
  jobRequest: JobRequest,
  idempotencyKey: string | undefined,
): Promise<Submission> {
  const problems = jobOptionProblems(deps.config, jobRequest);
  if (problems.length) throw new ValidationError(problems);
  const principal = principalOf(request);
  const budgetUsd = principal.limits.monthlyBudgetUsd;
  const result = await deps.queue.submit(jobRequest, {
    idempotencyKey,
    estimatedCostUsd: deps.estimateCost?.(jobRequest) ?? null,
    owner: principal.keyId,
    maxQueued: deps.maxQueued ?? null,
    maxQueuedForOwner: deps.maxQueuedPerKey ?? null,
    budget: budgetUsd === null ? null : { month: new Date().toISOString().slice(0, 7), limitUsd: budgetUsd },
  });
  if (result.outcome === 'key_mismatch') {
    throw new ApiError('IdempotencyKeyMismatch', 'Idempotency-Key was already used with a different request body', {
      job_id: result.job.id,
    });
  }
  const hasHook = result.job.request?.options?.webhook !== undefined;
  return { result, webhookSecret: hasHook && deps.jobSecrets ? deps.jobSecrets(result.job.id) : null };
}
