// What every remote backend does around its vendor's task: a JSON call with the shared retry
// policy, and a best-effort cancel of the vendor task when the job is canceled or the task is
// abandoned (deadline passed), so a stopped job stops costing money.
import { CanceledError } from '../../errors/canceled-error.js';
import { GenerationError } from '../../errors/generation-error.js';
import { hostOf, vendorFetch } from '../../http/vendor-fetch.js';
import type { RemoteSettings } from './remote-settings.js';

export interface VendorCallOptions {
  vendor: string;
  settings: RemoteSettings;
  signal: AbortSignal;
  log?: (message: string) => void;
  /** Sees each answer's headers (fal's timing and cost headers). */
  onResponse?: (res: Response) => void;
  /** Marks an error answer as final (not retried) although its status is 5xx. */
  isFinal?: (res: Response, body: unknown) => boolean;
}

export function callVendor<T>(url: string, init: RequestInit, options: VendorCallOptions): Promise<T> {
  return vendorFetch<T>(url, init, {
    vendor: options.vendor,
    signal: options.signal,
    maxRetries: options.settings.maxRetries,
    baseDelayMs: options.settings.retryBaseMs,
    log: options.log,
    onResponse: options.onResponse,
    isFinal: options.isFinal,
  });
}

/** Whether the vendor's task should be cancelled after `err`: the job was canceled, or the task passed its deadline. */
export function abandonsTask(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || err instanceof CanceledError || (err instanceof GenerationError && err.failure === 'timeout');
}

/**
 * Sends the vendor's cancel request on its own short deadline (the job's signal has already
 * fired). Failures are logged, never thrown: the job's own outcome matters more.
 */
export async function cancelVendorTask(url: string, init: RequestInit, vendor: string, taskId: string, log?: (message: string) => void): Promise<void> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
    await res.body?.cancel().catch(() => undefined);
    log?.(`${vendor}: cancel of task ${taskId} answered HTTP ${res.status}`);
  } catch (err) {
    log?.(`${vendor}: cancel of task ${taskId} failed (${(err as Error).name === 'TimeoutError' ? 'timeout' : 'connection failed'} to ${hostOf(url)})`);
  }
}
