import { TtvError } from './ttv-error.js';

/**
 * The artifact store failed (upload, signing, reachability). `retryable` errors may be tried again;
 * an error says so itself (false unless told), while an HTTP client told 503 StorageError may always
 * ask again later (the code's retryable).
 */
export class StorageError extends TtvError {
  override readonly name = 'StorageError';
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, { ...options, code: 'StorageError', retryable: options?.retryable ?? false });
  }
}
