import { TtvError } from './ttv-error.js';

/**
 * A video backend could not produce a clip, for a reason the backend itself reported or detected:
 * the vendor task failed or was refused for safety, it timed out, it returned no output, the
 * download was truncated, or the backend is misconfigured. `retryable` says whether the same
 * backend may be tried again for the same segment; the fallback chain moves on either way.
 * `reason` is ttv's own words; what the vendor said goes in `vendorText`, which clients never see
 * (errors/vendor-failure.ts).
 */
export type GenerationFailure =
  'failed' | 'refused' | 'timeout' | 'no-output' | 'download' | 'config' | 'invalid' | 'process';

export class GenerationError extends TtvError {
  override readonly name = 'GenerationError';
  /** What the vendor itself said (its failure text, code): in the message (for the job log), never in the public message. */
  readonly vendorText: string | undefined;
  constructor(
    readonly backend: string,
    readonly failure: GenerationFailure,
    reason: string,
    retryable = false,
    options?: { cause?: unknown; vendorText?: string },
  ) {
    const vendorText = options?.vendorText;
    super(`${backend}: ${reason}${vendorText ? `: ${vendorText}` : ''}`, {
      code: 'GenerationError',
      retryable,
      cause: options?.cause,
      publicMessage: `${backend}: ${reason}`,
    });
    this.vendorText = vendorText;
  }
}
