import { TtvError } from './ttv-error.js';

/**
 * A vendor call that failed: the vendor, the HTTP status (null for a network error or a timeout)
 * and a short reason, never the key or the request body. A reason taken from the vendor's answer
 * (`body` given) is kept out of the public message.
 */
export class VendorError extends TtvError {
  override readonly name = 'VendorError';
  constructor(
    readonly vendor: string,
    readonly status: number | null,
    readonly reason: string,
    retryable: boolean,
    readonly body: unknown = null,
    /** The vendor's answer says this error is final although its status would be retried. */
    readonly finalByVendor = false,
  ) {
    const head = `${vendor}: ${status ? `HTTP ${status}` : 'network error'}`;
    // A reason read from the vendor's answer stays out of what clients see (errors/vendor-failure.ts).
    super(`${head}${reason ? ` (${reason})` : ''}`, {
      code: 'VendorError',
      retryable,
      ...(body !== null && reason ? { publicMessage: head } : {}),
    });
  }

  /** Whether `reason` is the vendor's own text (read from its answer), not ttv's words (a network error, an unreadable reply). */
  get fromVendor(): boolean {
    return this.body !== null && this.reason !== '';
  }
}
