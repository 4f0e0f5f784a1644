// What every remote backend does around its vendor's task: a JSON call with the shared retry
// policy, and a best-effort cancel of the vendor task when the job is canceled or the task is
// abandoned (deadline passed), so a stopped job stops costing money.
import { vendorFetch } from '../../http/vendor-fetch.js';
import type { RemoteSettings } from './remote-settings.js';

export interface VendorCallOptions {
  vendor: string;
  settings: RemoteSettings;
  signal: AbortSignal;
  log?: (message: string) => void;
}

export function callVendor<T>(url: string, init: RequestInit, options: VendorCallOptions): Promise<T> {
  return vendorFetch<T>(url, init, {
    vendor: options.vendor,
    signal: options.signal,
    maxRetries: options.settings.maxRetries,
    baseDelayMs: options.settings.retryBaseMs,
    log: options.log,
  });
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
    log?.(`${vendor}: cancel of task ${taskId} failed (${(err as Error).name === 'TimeoutError' ? 'timeout' : 'connection failed'})`);
  }
}
