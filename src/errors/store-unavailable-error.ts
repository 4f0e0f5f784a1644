import { TtvError } from './ttv-error.js';

/** The job store or queue backend cannot be reached. Retryable; the API answers 503. */
export class StoreUnavailableError extends TtvError {
  override readonly name = 'StoreUnavailableError';
  constructor(message = 'Job store unavailable', options?: { cause?: unknown }) {
    super(message, { ...options, retryable: true });
  }
}
