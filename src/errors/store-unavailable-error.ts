import { ApiError } from './api-error.js';
import { ERROR_CODES } from './error-codes.js';

/**
 * The job store or queue backend cannot be reached. Retryable; the API answers 503 ServiceUnavailable
 * with the code's text (error-codes.ts), and the message, which says what failed, goes to the log.
 */
export class StoreUnavailableError extends ApiError {
  override readonly name = 'StoreUnavailableError';
  constructor(message = 'Job store unavailable', options?: { cause?: unknown }) {
    super('ServiceUnavailable', message, null, {
      publicMessage: ERROR_CODES.ServiceUnavailable.message,
      cause: options?.cause,
    });
  }
}
