import { ApiError } from './api-error.js';

/** 404 JobNotFound: no such job, or one of another key's (answered alike, so ids cannot be probed). */
export class JobNotFoundError extends ApiError {
  override readonly name = 'JobNotFoundError';
  /** `id` as the client may read it: a job id, or the client's text redacted and clipped by the caller. */
  constructor(id: string) {
    super('JobNotFound', `Job ${id} not found`, { job_id: id });
  }
}
