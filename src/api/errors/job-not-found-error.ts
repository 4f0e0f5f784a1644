import { ApiError } from './api-error.js';
import { redactedClip } from '../../logging/redact.js';

export function jobNotFound(id: string): ApiError {
  const shown = redactedClip(id, 100);
  return new ApiError(404, 'JobNotFound', `Job ${shown} not found`, { job_id: shown });
}
