// The one retry policy of vendor calls: network errors, 408, 429 (honouring Retry-After) and 5xx
// are retried with exponential backoff and jitter; every other 4xx is final. The loop here runs
// HTTP calls and SDK calls alike, so both log their retries the same way.
import { CanceledError } from '../../errors/canceled-error.js';
import type { VendorError } from '../../errors/vendor-error.js';

export interface RetrySettings {
  /** Retries after the first attempt. */
  maxRetries: number;
  retryBaseMs: number;
}

export const MAX_BACKOFF_MS = 60_000;

/** Whether an answer with this status may succeed when sent again. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export function retryAfterMs(header: string | null): number | null {
  if (!header) return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : null;
}

/** Waits `ms`, or rejects with CanceledError as soon as `signal` fires. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new CanceledError());
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CanceledError());
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The wait before retry number `attempt + 1`: exponential from `baseMs`, ±20 % jitter, at most 60 s. */
export function backoffMs(baseMs: number, attempt: number): number {
  return Math.min(baseMs * 2 ** attempt * (0.8 + Math.random() * 0.4), MAX_BACKOFF_MS);
}

/** One attempt's outcome: a value, or a failure with the wait the vendor asked for (Retry-After). */
export type Attempt<T> = { value: T } | { failure: VendorError; waitMs?: number | null };

export interface RetryLoopOptions extends RetrySettings {
  signal: AbortSignal;
  log?: (message: string) => void;
}

/** Runs `attempt` until it gives a value, fails for good, or the retries are spent. */
export async function withRetries<T>(attempt: () => Promise<Attempt<T>>, options: RetryLoopOptions): Promise<T> {
  for (let n = 0; ; n += 1) {
    if (options.signal.aborted) throw new CanceledError();
    const outcome = await attempt();
    if ('value' in outcome) return outcome.value;
    const { failure, waitMs } = outcome;
    if (!failure.retryable || n >= options.maxRetries) throw failure;
    const delay =
      waitMs !== null && waitMs !== undefined ? Math.min(waitMs, MAX_BACKOFF_MS) : backoffMs(options.retryBaseMs, n);
    options.log?.(
      `${failure.message}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${n + 2} of ${options.maxRetries + 1})`,
    );
    await abortableSleep(delay, options.signal);
  }
}
