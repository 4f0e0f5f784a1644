import { TtvError } from './ttv-error.js';

/** Work stopped because its AbortSignal fired (job canceled or worker shutting down). */
export class CanceledError extends TtvError {
  override readonly name = 'CanceledError';
  constructor(message = 'Canceled') {
    super(message, { code: 'CanceledError' });
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CanceledError();
}
