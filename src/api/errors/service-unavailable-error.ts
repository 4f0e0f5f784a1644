import { ApiError } from './api-error.js';

export function serviceUnavailable(message: string, retryAfterSeconds = 5): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message, { retry_after: retryAfterSeconds }, true, { 'retry-after': String(retryAfterSeconds) });
}

export function storageUnavailable(message: string, retryAfterSeconds = 5): ApiError {
  return new ApiError(503, 'StorageError', message, { retry_after: retryAfterSeconds }, true, { 'retry-after': String(retryAfterSeconds) });
}
