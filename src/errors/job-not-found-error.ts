import { redactedClip } from '../logging/redact.js';
import { ApiError } from './api-error.js';

/** 404 JobNotFound: no such job, or one of another key's (answered alike, so ids cannot be probed). */
export class JobNotFoundError extends ApiError {
  override readonly name = 'JobNotFoundError';
  /** `id` as the client sent it (any text: it is redacted and clipped here). */
  constructor(id: string) {
    const shown = redactedClip(id, 100);
    super('JobNotFound', `Job ${shown} not found`, { job_id: shown });
  }
}
