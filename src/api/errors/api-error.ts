// An HTTP error in the documented envelope: {error, message, details, timestamp, request_id, retryable}.
export type ErrorCode =
  | 'ValidationError' | 'Unauthorized' | 'Forbidden' | 'JobNotFound' | 'ArtifactNotReady' | 'NotFound'
  | 'MethodNotAllowed' | 'Conflict' | 'PayloadTooLarge' | 'UnsupportedMediaType' | 'IdempotencyKeyMismatch'
  | 'RateLimitExceeded' | 'QueueFull' | 'BudgetExceeded' | 'InternalServerError' | 'ServiceUnavailable' | 'StorageError';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> | null = null,
    readonly retryable = false,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}
