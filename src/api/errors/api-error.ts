// An HTTP error in the documented envelope: {error, message, details, timestamp, request_id, retryable}.
export type ErrorCode =
  | 'ValidationError' | 'Unauthorized' | 'Forbidden' | 'MisdirectedRequest' | 'JobNotFound' | 'ArtifactNotReady' | 'NotFound'
  | 'MethodNotAllowed' | 'Conflict' | 'PayloadTooLarge' | 'UnsupportedMediaType' | 'IdempotencyKeyMismatch'
  | 'RateLimitExceeded' | 'QueueFull' | 'BudgetExceeded' | 'InternalServerError' | 'ServiceUnavailable' | 'StorageError';

import { TtvError } from '../../errors/ttv-error.js';

export class ApiError extends TtvError {
  declare readonly code: ErrorCode;
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> | null = null,
    retryable = false,
    readonly headers: Record<string, string> = {},
  ) {
    super(message, { code, retryable });
  }
}
