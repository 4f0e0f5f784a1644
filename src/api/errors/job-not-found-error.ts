import { ApiError } from './api-error.js';

export function jobNotFound(id: string): ApiError {
  const shown = id.length > 100 ? `${id.slice(0, 100)}…` : id;
  return new ApiError(404, 'JobNotFound', `Job ${shown} not found`, { job_id: shown });
}
