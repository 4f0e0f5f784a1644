import { TtvError } from './ttv-error.js';

/** A listen address the binding rules refuse (api/server.ts): names the key and what to set instead. */
export class UnsafeBindError extends TtvError {
  override readonly name = 'UnsafeBindError';
  constructor(message: string) {
    super(message, { code: 'UnsafeBindError' });
  }
}
