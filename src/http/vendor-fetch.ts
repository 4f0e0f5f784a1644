// Calls to vendor HTTP APIs with one retry policy: network errors, 408, 429 (honouring
// Retry-After) and 5xx are retried with exponential backoff and jitter; every other 4xx is final.
// Errors carry the vendor, the status and a short reason, never the key or the request body.
import { CanceledError } from '../errors/canceled-error.js';
import { TtvError } from '../errors/ttv-error.js';

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

export interface VendorFetchOptions {
  vendor: string;
  signal: AbortSignal;
  /** Retries after the first attempt. */
  maxRetries?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  log?: (message: string) => void;
  /** Sees every answer (headers included) before its body is read. */
  onResponse?: (res: Response) => void;
  /** Marks an error answer as final (not retried) although its status is 5xx (fal's request errors). */
  isFinal?: (res: Response, body: unknown) => boolean;
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
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(new CanceledError()); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export const MAX_BACKOFF_MS = 60_000;

/** The wait before retry number `attempt + 1`: exponential from `baseMs`, ±20 % jitter, at most 60 s. */
export function backoffMs(baseMs: number, attempt: number): number {
  return Math.min(baseMs * 2 ** attempt * (0.8 + Math.random() * 0.4), MAX_BACKOFF_MS);
}

/** The vendor's own error text, shortened, for the job log and error (bodies never hold our keys). */
export function reasonOf(body: unknown): string {
  const b = body as { error?: { message?: string; code?: unknown } | string; message?: string; name?: string; detail?: unknown } | null;
  let text: unknown = '';
  if (typeof b?.error === 'string') text = b.error;
  else if (b?.error) text = typeof b.error.code === 'string' ? b.error.code : b.error.message ?? b.error.code;
  else text = b?.message ?? (typeof b?.detail === 'string' ? b.detail : b?.name) ?? '';
  return String(text ?? '').slice(0, 160);
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

/** Sends a request; returns the parsed JSON body of a 2xx answer. */
export async function vendorFetch<T>(url: string, init: RequestInit, options: VendorFetchOptions): Promise<T> {
  const maxRetries = options.maxRetries ?? 3;
  for (let attempt = 0; ; attempt += 1) {
    if (options.signal.aborted) throw new CanceledError();
    let failure: VendorError;
    let waitMs: number | null = null;
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? 120_000)]) });
      options.onResponse?.(res);
      const text = await res.text();
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = null;
      }
      if (res.ok) {
        if (body === null && text) throw new VendorError(options.vendor, res.status, 'reply is not JSON', false);
        return body as T;
      }
      const final = options.isFinal?.(res, body) ?? false;
      const retryable = !final && (res.status === 408 || res.status === 429 || res.status >= 500);
      failure = new VendorError(options.vendor, res.status, reasonOf(body), retryable, body, final);
      waitMs = retryAfterMs(res.headers.get('retry-after'));
    } catch (err) {
      if (options.signal.aborted) throw new CanceledError();
      if (err instanceof VendorError) throw err;
      // The host only: paths and query strings of vendor URLs can carry ids and signatures.
      failure = new VendorError(options.vendor, null, `${(err as Error).name === 'TimeoutError' ? 'timeout' : 'connection failed'} to ${hostOf(url)}`, true);
    }
    if (!failure.retryable || attempt >= maxRetries) throw failure;
    const delay = waitMs !== null ? Math.min(waitMs, MAX_BACKOFF_MS) : backoffMs(options.baseDelayMs ?? 1000, attempt);
    options.log?.(`${failure.message}; retrying in ${(delay / 1000).toFixed(1)} s (attempt ${attempt + 2} of ${maxRetries + 1})`);
    await abortableSleep(delay, options.signal);
  }
}
