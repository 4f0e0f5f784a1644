import { TtvError } from './ttv-error.js';

/** The artifact store failed (upload, signing, reachability). `retryable` errors may be tried again. */
export class StorageError extends TtvError {
  override readonly name = 'StorageError';
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options);
  }
}
