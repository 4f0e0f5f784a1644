import { TtvError } from './ttv-error.js';

/**
 * A vendor call that failed: the vendor, the HTTP status (null for a network error or a timeout)
 * and a short reason, never the key or the request body.
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
    super(`${vendor}: ${status ? `HTTP ${status}` : 'network error'}${reason ? ` (${reason})` : ''}`, { retryable });
  }
}
