// The one way ttv calls a vendor: a client per vendor holds its base URL, auth headers, retry
// settings, per-attempt timeout and redirect policy; each call brings the job's signal and log.
// JSON calls, calls through a vendor's SDK and best-effort task cancels all go through it, so they
// share the retry policy (retry-policy.ts), the redirect policy (redirects.ts) and the error
// mapping: a VendorError naming the vendor, the status and the vendor's short reason, or the host
// for a network error, never the key, the path or the request body.
import { CanceledError } from '../../errors/canceled-error.js';
import { VendorError } from '../../errors/vendor-error.js';
import { VendorOutcomeUnknownError } from '../../errors/vendor-outcome-unknown-error.js';
import { createOutcomeUnknown, failedBeforeSending, type CreateRule } from './create-rule.js';
import { trimTrailingSlashes } from '../../text/base-url.js';
import { fetchFollowingRedirects, hostsOf } from './redirects.js';
import { isRetryableStatus, retryAfterMs, withRetries, type Attempt, type RetrySettings } from './retry-policy.js';
import { hostOf, networkFailure, reasonOf } from './vendor-reason.js';

export interface VendorClientOptions {
  /** Named first in every error and log line. */
  vendor: string;
  /** Paths passed to the client are appended to it; absolute URLs are used as given. */
  baseUrl?: string;
  /** Sent with every call, to the called URL's host only (never after a redirect elsewhere). */
  auth?: Record<string, string>;
  retry: RetrySettings;
  /** Per attempt, redirects and body included. */
  timeoutMs?: number;
  /** Further hosts (besides the base URL's) a redirect may lead to over plain http. */
  trustedHosts?: string[];
}

/** What one call brings: the job's signal and log, and the vendor-specific hooks. */
export interface VendorCall {
  signal: AbortSignal;
  log?: (message: string) => void;
  /** Sees every answer (headers included) before its body is read. */
  onResponse?: (res: Response) => void;
  /** Marks an error answer as final (not retried) although its status is 5xx (fal's request errors). */
  isFinal?: (res: Response, body: unknown) => boolean;
  /** Checks a 2xx body; a VendorError it throws counts as a failed attempt (retried when retryable). */
  check?: (body: unknown, res: Response) => void;
  /**
   * Marks the call as a vendor create (a payment): it is sent again only when the failure means
   * "not created" under the vendor's rule (429, the vendor's documented 5xx, connection refused);
   * any other 5xx, a timeout or a reset after sending throws VendorOutcomeUnknownError.
   */
  create?: CreateRule;
}

export type JsonInit = Omit<RequestInit, 'headers' | 'signal' | 'redirect'> & { headers?: Record<string, string> };

/** What an SDK error says about the answer; null = not an HTTP/network error (rethrown as is). */
export interface SdkFailure {
  /** null for a network error or a timeout. */
  status: number | null;
  body?: unknown;
  retryAfter?: string | null;
  timeout?: boolean;
  /** The vendor says this error is the request's own final outcome: not retried whatever its status. */
  final?: boolean;
  /** A network error that happened before the request was sent (connection refused, unknown host). */
  notSent?: boolean;
}

const DEFAULT_TIMEOUT_MS = 120_000;
const CANCEL_TIMEOUT_MS = 10_000;

export class VendorClient {
  readonly vendor: string;
  readonly baseUrl: string;
  private readonly trustedHosts: string[];

  constructor(private readonly options: VendorClientOptions) {
    this.vendor = options.vendor;
    this.baseUrl = trimTrailingSlashes(options.baseUrl ?? '');
    this.trustedHosts = [...hostsOf(this.baseUrl), ...(options.trustedHosts ?? [])];
  }

  /** The base URL's host:port, named in network errors of SDK calls. */
  get host(): string {
    return hostOf(this.baseUrl);
  }

  /** `path` under the base URL; an absolute http(s) URL (one the vendor handed back) as is. */
  url(path: string): string {
    return /^https?:\/\//i.test(path) ? path : `${this.baseUrl}${path}`;
  }

  /** Sends a request with the retry policy; gives the parsed JSON body of a 2xx answer. */
  json<T>(path: string, init: JsonInit, call: VendorCall): Promise<T> {
    const url = this.url(path);
    return withRetries(() => this.attempt<T>(url, init, call), {
      ...this.options.retry,
      signal: call.signal,
      log: call.log,
    });
  }

  private async attempt<T>(url: string, init: JsonInit, call: VendorCall): Promise<Attempt<T>> {
    const { vendor } = this;
    let res: Response;
    let text: string;
    try {
      const signal = AbortSignal.any([call.signal, AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS)]);
      ({ res } = await fetchFollowingRedirects(url, { ...init, signal }, this.redirectPolicy()));
      call.onResponse?.(res);
      text = await res.text();
    } catch (err) {
      if (call.signal.aborted) throw new CanceledError();
      if (err instanceof VendorError) throw err;
      if (call.create && !failedBeforeSending(err))
        throw new VendorOutcomeUnknownError(vendor, `got no answer (${networkFailure(err)} to ${hostOf(url)})`);
      return { failure: new VendorError(vendor, null, `${networkFailure(err)} to ${hostOf(url)}`, true) };
    }
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (res.ok) {
      if (body === null && text) throw new VendorError(vendor, res.status, 'reply is not JSON', false);
      try {
        call.check?.(body, res);
      } catch (err) {
        if (err instanceof VendorError) return { failure: err };
        throw err;
      }
      return { value: body as T };
    }
    const final = call.isFinal?.(res, body) ?? false;
    if (call.create && !final && createOutcomeUnknown(call.create, res.status)) {
      throw new VendorOutcomeUnknownError(
        vendor,
        `answered HTTP ${res.status}${reasonOf(body) ? ` (${reasonOf(body)})` : ''}`,
      );
    }
    return {
      failure: new VendorError(
        vendor,
        res.status,
        reasonOf(body),
        !final && isRetryableStatus(res.status),
        body,
        final,
      ),
      waitMs: retryAfterMs(res.headers.get('retry-after')),
    };
  }

  private redirectPolicy() {
    return {
      vendor: this.vendor,
      trustedHosts: this.trustedHosts,
      auth: this.options.auth,
      refuse: (_from: string, why: string, status: number) => new VendorError(this.vendor, status, why, false),
    };
  }

  /**
   * A call through the vendor's SDK (its own retries off) with the retry policy and the job's
   * signal: `classify` maps the SDK's errors to status, body and Retry-After.
   */
  sdk<T>(
    run: (signal: AbortSignal) => Promise<T>,
    classify: (err: unknown) => SdkFailure | null,
    call: VendorCall,
  ): Promise<T> {
    const attempt = async (): Promise<Attempt<T>> => {
      try {
        return {
          value: await run(
            AbortSignal.any([call.signal, AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS)]),
          ),
        };
      } catch (err) {
        if (call.signal.aborted) throw new CanceledError();
        const f = classify(err);
        if (!f) throw err;
        if (call.create && f.status === null && !f.notSent)
          throw new VendorOutcomeUnknownError(
            this.vendor,
            `got no answer (${f.timeout ? 'timeout' : 'connection failed'} to ${this.host})`,
          );
        if (call.create && f.status !== null && !f.final && createOutcomeUnknown(call.create, f.status)) {
          throw new VendorOutcomeUnknownError(
            this.vendor,
            `answered HTTP ${f.status}${reasonOf(f.body ?? null) ? ` (${reasonOf(f.body ?? null)})` : ''}`,
          );
        }
        if (f.status === null)
          return {
            failure: new VendorError(
              this.vendor,
              null,
              `${f.timeout ? 'timeout' : 'connection failed'} to ${this.host}`,
              true,
            ),
          };
        const retryable = !f.final && isRetryableStatus(f.status);
        return {
          failure: new VendorError(
            this.vendor,
            f.status,
            reasonOf(f.body ?? null),
            retryable,
            f.body ?? null,
            f.final ?? false,
          ),
          waitMs: retryAfterMs(f.retryAfter ?? null),
        };
      }
    };
    return withRetries(attempt, { ...this.options.retry, signal: call.signal, log: call.log });
  }

  /**
   * Sends the vendor's cancel request for a task on its own short deadline (the job's signal has
   * already fired). Failures are logged, never thrown: the job's own outcome matters more. Gives
   * the answer's status (null when none came), for a vendor whose cancel only works in some states.
   */
  async cancel(path: string, init: JsonInit, taskId: string, log?: (message: string) => void): Promise<number | null> {
    const url = this.url(path);
    try {
      const { res } = await fetchFollowingRedirects(
        url,
        { ...init, signal: AbortSignal.timeout(CANCEL_TIMEOUT_MS) },
        this.redirectPolicy(),
      );
      await res.body?.cancel().catch(() => undefined);
      log?.(`${this.vendor}: cancel of task ${taskId} answered HTTP ${res.status}`);
      return res.status;
    } catch (err) {
      const why = err instanceof VendorError ? err.reason : `${networkFailure(err)} to ${hostOf(url)}`;
      log?.(`${this.vendor}: cancel of task ${taskId} failed (${why})`);
      return null;
    }
  }
}
