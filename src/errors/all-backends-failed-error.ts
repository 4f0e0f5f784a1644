import { TtvError, type TtvErrorExtras } from './ttv-error.js';

/** Every backend of the fallback chain failed a segment; the message lists each one's failure. */
export class AllBackendsFailedError extends TtvError {
  override readonly name = 'AllBackendsFailedError';
  constructor(message: string, options?: TtvErrorExtras) {
    super(message, { ...options, code: 'AllBackendsFailedError' });
  }
}
