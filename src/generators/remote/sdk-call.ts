// Calls made through a vendor's official SDK with ttv's own retry policy and cancellation, for the
// SDKs whose retries are silent (they would hide 429s and 5xx from the job log) or classify
// differently (Runway's SDK also retries 409): the SDK runs with its retries off, and each failure
// is mapped to a VendorError — status, the vendor's reason, Retry-After — and retried like
// vendorFetch retries (network errors, 408, 429, 5xx; never another 4xx).
import { CanceledError } from '../../errors/canceled-error.js';
import { MAX_BACKOFF_MS, VendorError, abortableSleep, backoffMs, reasonOf, retryAfterMs } from '../../http/vendor-fetch.js';
import type { VendorCallOptions } from './vendor-task.js';

/** What an SDK error says about the answer; null = not an HTTP/network error (rethrown as is). */
export interface SdkFailure {
  /** null for a network error or a timeout. */
  status: number | null;
  body?: unknown;
  retryAfter?: string | null;
  timeout?: boolean;
  /** The vendor says this error is the request's own final outcome: not retried whatever its status. */
  final?: boolean;
}

export interface SdkCallOptions extends VendorCallOptions {
  /** The host the SDK talks to, named in network errors. */
  host: string;
  classify: (err: unknown) => SdkFailure | null;
  timeoutMs?: number;
}

export async function callSdk<T>(run: (signal: AbortSignal) => Promise<T>, options: SdkCallOptions): Promise<T> {
  const { vendor, settings, signal } = options;
  for (let attempt = 0; ; attempt += 1) {
    if (signal.aborted) throw new CanceledError();
    let failure: VendorError;
    let waitMs: number | null = null;
    try {
      return await run(AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs ?? 120_000)]));
    } catch (err) {
      if (signal.aborted) throw new CanceledError();
      const f = options.classify(err);
      if (!f) throw err;
      if (f.status === null) {
        failure = new VendorError(vendor, null, `${f.timeout ? 'timeout' : 'connection failed'} to ${options.host}`, true);
      } else {
        const retryable = !f.final && (f.status === 408 || f.status === 429 || f.status >= 500);
        failure = new VendorError(vendor, f.status, reasonOf(f.body ?? null), retryable, f.body ?? null, f.final ?? false);
        waitMs = retryAfterMs(f.retryAfter ?? null);
      }
    }
    if (!failure.retryable || attempt >= settings.maxRetries) throw failure;
    const delay = waitMs !== null ? Math.min(waitMs, MAX_BACKOFF_MS) : backoffMs(settings.retryBaseMs, attempt);
    options.log?.(`${failure.message}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 2} of ${settings.maxRetries + 1})`);
    await abortableSleep(delay, signal);
  }
}
