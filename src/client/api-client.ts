// A small client of the ttv HTTP API, used by the CLI (submit, status, logs, cancel, download).
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createParser } from 'eventsource-parser';
import type { JobView } from '../jobs/job.js';
import { ApiClientError } from '../errors/api-client-error.js';
import { trimTrailingSlashes } from '../text/base-url.js';

export interface ClientOptions {
  server: string;
  token?: string;
}

export interface StreamEvent {
  id: string | undefined;
  type: string;
  data: Record<string, unknown>;
}

const TERMINAL = new Set(['finished', 'failed', 'canceled']);

export class ApiClient {
  private readonly base: string;
  constructor(private readonly options: ClientOptions) {
    this.base = trimTrailingSlashes(options.server);
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}), ...extra };
  }

  private async json<T>(path: string, init: RequestInit = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        ...init,
        headers: this.headers(init.headers as Record<string, string>),
      });
    } catch (err) {
      throw new ApiClientError(
        0,
        'ConnectionError',
        `cannot reach ${this.base}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
      );
    }
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok)
      throw new ApiClientError(res.status, String(body.error ?? res.status), String(body.message ?? res.statusText));
    return body as T;
  }

  /**
   * Submits a prompt with optional per-job options; a first-frame image goes as a multipart file
   * part. The answer carries `webhook_secret` once when the job has its own webhook.
   */
  submit(
    prompt: string,
    options?: Record<string, unknown>,
    image?: { bytes: Buffer; name: string },
  ): Promise<JobView & { webhook_secret?: string }> {
    const hasOptions = options !== undefined && Object.keys(options).length > 0;
    if (image) {
      const form = new FormData();
      form.set('prompt', prompt);
      if (hasOptions) form.set('options', JSON.stringify(options));
      form.set('image', new Blob([new Uint8Array(image.bytes)]), image.name);
      return this.json('/v1/jobs', { method: 'POST', body: form });
    }
    return this.json('/v1/jobs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(hasOptions ? { prompt, options } : { prompt }),
    });
  }

  status(id: string): Promise<JobView> {
    return this.json(`/v1/jobs/${encodeURIComponent(id)}`);
  }

  cancel(id: string): Promise<JobView & { message: string }> {
    return this.json(`/v1/jobs/${encodeURIComponent(id)}/cancel`, { method: 'POST' });
  }

  async logs(id: string, tail = 100): Promise<string[]> {
    return (await this.json<{ lines: string[] }>(`/v1/jobs/${encodeURIComponent(id)}/logs?tail=${tail}`)).lines;
  }

  artifact(id: string): Promise<{ url: string; artifact_uri: string; gcs_uri: string | null; expires_in: number }> {
    return this.json(`/v1/jobs/${encodeURIComponent(id)}/artifact`);
  }

  /** Streams the finished video to `out` (via a temp file, so a broken download leaves nothing). */
  async download(id: string, out: string): Promise<number> {
    const { url } = await this.artifact(id);
    const absolute = new URL(url, this.base).href;
    const res = await fetch(absolute);
    if (!res.ok || !res.body)
      throw new ApiClientError(res.status, 'DownloadFailed', `download failed with HTTP ${res.status}`);
    const expected = Number(res.headers.get('content-length') ?? NaN);
    const partial = `${out}.partial`;
    let bytes = 0;
    const counter = Readable.fromWeb(res.body as never).on('data', (c: Buffer) => {
      bytes += c.length;
    });
    try {
      await pipeline(counter, createWriteStream(partial));
      if (Number.isFinite(expected) && bytes !== expected)
        throw new ApiClientError(0, 'DownloadFailed', `download truncated (${bytes} of ${expected} bytes)`);
      await rename(partial, out);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
    return bytes;
  }

  /**
   * Follows /v1/jobs/{id}/events until a terminal status, reconnecting with Last-Event-ID when the
   * connection drops. Resolves with the final job.
   */
  async follow(id: string, onEvent: (event: StreamEvent) => void, signal?: AbortSignal): Promise<JobView> {
    let lastEventId: string | undefined;
    let failures = 0;
    for (;;) {
      let terminal = false;
      try {
        const res = await fetch(`${this.base}/v1/jobs/${encodeURIComponent(id)}/events`, {
          headers: this.headers({
            accept: 'text/event-stream',
            ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
          }),
          signal,
        });
        if (!res.ok || !res.body) {
          const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
          throw new ApiClientError(
            res.status,
            String(body.error ?? res.status),
            String(body.message ?? res.statusText),
          );
        }
        const parser = createParser({
          onEvent: (message) => {
            lastEventId = message.id ?? lastEventId;
            const data = JSON.parse(message.data) as Record<string, unknown>;
            if (message.event === 'status' && TERMINAL.has(String(data.status))) terminal = true;
            onEvent({ id: message.id, type: message.event ?? 'message', data });
          },
        });
        const decoder = new TextDecoder();
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
          parser.feed(decoder.decode(chunk, { stream: true }));
        failures = 0;
      } catch (err) {
        if (err instanceof ApiClientError && err.status >= 400 && err.status < 500) throw err;
        if (signal?.aborted) throw err;
        failures += 1;
        if (failures > 10) throw err;
      }
      if (terminal) return this.status(id);
      await new Promise((r) => setTimeout(r, Math.min(200 * 2 ** failures, 3000)));
    }
  }
}
