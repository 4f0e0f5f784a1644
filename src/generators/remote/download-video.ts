// Streams a vendor's clip to disk: never buffered whole, capped in size, and checked against the
// Content-Length the server announced, so a cut-off transfer is caught here instead of becoming a
// broken artifact. The file appears under its final name only when complete. Transient failures
// (network, 408, 429, 5xx, truncation) are retried with the shared backoff. Redirects follow the
// vendor client's policy (http/vendor-client/redirects.ts): https, or plain http to a configured
// vendor host only, and the auth header never leaves the host it was meant for.
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { CanceledError } from '../../errors/canceled-error.js';
import { GenerationError } from '../../errors/generation-error.js';
import { abortableSleep, backoffMs, isRetryableStatus } from '../../http/vendor-client/retry-policy.js';
import { fetchFollowingRedirects } from '../../http/vendor-client/redirects.js';

export { hostsOf } from '../../http/vendor-client/redirects.js';
import type { RemoteSettings } from './remote-settings.js';

export interface DownloadOptions {
  backend: string;
  signal: AbortSignal;
  maxBytes: number;
  maxRetries: number;
  retryBaseMs: number;
  headers?: Record<string, string>;
  log?: (message: string) => void;
  /** Per-attempt cap on the whole transfer. */
  timeoutMs?: number;
  /** Hosts (host:port) a redirect may lead to over plain http: the vendor's configured endpoints. */
  trustedHosts?: string[];
}

/** The options every backend downloads with: its settings, the job's signal and log. */
export function downloadOptions(
  backend: string,
  settings: RemoteSettings,
  hooks: { signal: AbortSignal; log?: (message: string) => void },
  trustedHosts: string[] = [],
): DownloadOptions {
  return {
    backend,
    signal: hooks.signal,
    log: hooks.log,
    maxBytes: settings.maxDownloadBytes,
    maxRetries: settings.maxRetries,
    retryBaseMs: settings.retryBaseMs,
    trustedHosts,
  };
}

/** GET with redirects followed only where the shared redirect policy allows; the headers are auth, for the first host only. */
function fetchFollowing(
  url: string,
  options: DownloadOptions,
  signal: AbortSignal,
): Promise<{ res: Response; url: string }> {
  return fetchFollowingRedirects(
    url,
    { signal },
    {
      vendor: options.backend,
      trustedHosts: options.trustedHosts ?? [],
      auth: options.headers,
      refuse: (from, why) =>
        new GenerationError(options.backend, 'download', `download from ${describeUrl(from)} ${why}`, false),
    },
  );
}

/** Host and path only: vendor download URLs carry signatures in their query strings. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.host}${u.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

async function attempt(url: string, path: string, options: DownloadOptions): Promise<number> {
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs ?? 600_000)]);
  let res: Response;
  try {
    ({ res } = await fetchFollowing(url, options, signal));
  } catch (err) {
    if (options.signal.aborted) throw new CanceledError();
    if (err instanceof GenerationError) throw err;
    throw new GenerationError(
      options.backend,
      'download',
      `download from ${describeUrl(url)} failed (${(err as Error).name === 'TimeoutError' ? 'timeout' : 'connection failed'})`,
      true,
    );
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    const retryable = isRetryableStatus(res.status);
    throw new GenerationError(
      options.backend,
      'download',
      `download from ${describeUrl(url)} answered HTTP ${res.status}`,
      retryable,
    );
  }
  const announced = res.headers.get('content-length');
  const expected = announced !== null && /^\d+$/.test(announced) ? Number(announced) : null;
  if (expected !== null && expected > options.maxBytes) {
    await res.body.cancel().catch(() => undefined);
    throw new GenerationError(
      options.backend,
      'download',
      `clip is ${expected} bytes, more than remote_api_settings.max_download_bytes (${options.maxBytes})`,
      false,
    );
  }
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > options.maxBytes) {
        done(
          new GenerationError(
            options.backend,
            'download',
            `clip exceeds remote_api_settings.max_download_bytes (${options.maxBytes})`,
            false,
          ),
        );
        return;
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>),
      counter,
      createWriteStream(path, { mode: 0o600 }),
    );
  } catch (err) {
    if (options.signal.aborted) throw new CanceledError();
    if (err instanceof GenerationError) throw err;
    const how =
      expected !== null ? `was truncated (${received} of ${expected} bytes)` : `broke off after ${received} bytes`;
    throw new GenerationError(options.backend, 'download', `download from ${describeUrl(url)} ${how}`, true);
  }
  if (expected !== null && received !== expected) {
    throw new GenerationError(
      options.backend,
      'download',
      `download from ${describeUrl(url)} was truncated (${received} of ${expected} bytes)`,
      true,
    );
  }
  if (received === 0)
    throw new GenerationError(options.backend, 'download', `download from ${describeUrl(url)} was empty`, true);
  return received;
}

/** Downloads `url` to `outputPath`; returns the byte count. */
export async function downloadVideo(url: string, outputPath: string, options: DownloadOptions): Promise<number> {
  const partial = `${outputPath}.part`;
  for (let n = 0; ; n += 1) {
    try {
      const bytes = await attempt(url, partial, options);
      await rename(partial, outputPath);
      return bytes;
    } catch (err) {
      await rm(partial, { force: true });
      if (!(err instanceof GenerationError) || !err.retryable || n >= options.maxRetries) throw err;
      const delay = backoffMs(options.retryBaseMs, n);
      options.log?.(`${err.message}; retrying in ${(delay / 1000).toFixed(1)} s`);
      await abortableSleep(delay, options.signal);
    }
  }
}
