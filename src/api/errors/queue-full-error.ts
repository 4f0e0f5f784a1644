import { ApiError } from './api-error.js';
import type { QueueFullError } from '../../errors/queue-full-error.js';

/** Seconds a client should wait before submitting again when a queue cap is reached. */
export const QUEUE_FULL_RETRY_AFTER_SECONDS = 30;

/** 503 QueueFull when the whole store is at worker.max_queued_jobs; 429 QueueFull when the key is at its own cap. */
export function queueFull(err: QueueFullError): ApiError {
  const retry = { 'retry-after': String(QUEUE_FULL_RETRY_AFTER_SECONDS) };
  return new ApiError(err.scope === 'global' ? 503 : 429, 'QueueFull', err.message,
    { scope: err.scope, queued: err.queued, limit: err.limit, retry_after: QUEUE_FULL_RETRY_AFTER_SECONDS }, true, retry);
}
