import { countNoun } from '../text/count-noun.js';
import { ApiError } from './api-error.js';

/**
 * A submission refused because the store (global: 503 QueueFull, at worker.max_queued_jobs) or the
 * submitting key (owner: 429 QueueFull, at security.max_queued_jobs_per_key) has too many queued jobs.
 */
export class QueueFullError extends ApiError {
  override readonly name = 'QueueFullError';
  constructor(
    readonly scope: 'global' | 'owner',
    readonly queued: number,
    readonly limit: number,
  ) {
    super(
      'QueueFull',
      scope === 'global'
        ? `The queue is full (${countNoun(queued, 'job')} queued, limit ${limit})`
        : `This key has ${countNoun(queued, 'job')} queued (limit ${limit})`,
      { scope, queued, limit },
      scope === 'global' ? { status: 503 } : {},
    );
  }
}
