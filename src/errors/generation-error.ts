import { TtvError } from './ttv-error.js';

/**
 * A video backend could not produce a clip, for a reason the backend itself reported or detected:
 * the vendor task failed or was refused for safety, it timed out, it returned no output, the
 * download was truncated, or the backend is misconfigured. `retryable` says whether the same
 * backend may be tried again for the same segment; the fallback chain moves on either way.
 */
export type GenerationFailure = 'failed' | 'refused' | 'timeout' | 'no-output' | 'download' | 'config' | 'invalid' | 'process';

export class GenerationError extends TtvError {
  override readonly name = 'GenerationError';
  constructor(
    readonly backend: string,
    readonly failure: GenerationFailure,
    reason: string,
    retryable = false,
    options?: { cause?: unknown },
  ) {
    super(`${backend}: ${reason}`, { retryable, cause: options?.cause });
  }
}
