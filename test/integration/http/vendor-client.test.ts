// The VendorClient against real loopback HTTP servers: the retry policy (503 then success,
// Retry-After honoured, other 4xx final), the per-attempt timeout, the redirect policy (same
// host followed, plain http elsewhere refused, auth never sent to another host, 303 turns a POST
// into a GET), SDK calls retried by the same loop, and errors that carry no secret.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { VendorClient, type VendorClientOptions } from '../../../src/http/vendor-client/vendor-client.js';
import { VendorError } from '../../../src/errors/vendor-error.js';
import { VendorOutcomeUnknownError } from '../../../src/errors/vendor-outcome-unknown-error.js';
import type { CreateRule } from '../../../src/http/vendor-client/create-rule.js';

const KEY = 'sk-vendor-secret-0123456789';

interface Seen {
  method: string;
  path: string;
  authorization?: string;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback server answering each request with the next scripted handler (the last one repeats). */
class ScriptedServer {
  readonly seen: Seen[] = [];
  private script: Handler[] = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.seen.push({
          method: req.method ?? '',
          path: req.url ?? '',
          authorization: req.headers.authorization,
          body: Buffer.concat(chunks).toString(),
        });
        const handler = this.script.length > 1 ? this.script.shift()! : this.script[0];
        if (handler) handler(req, res);
        else json(res, 200, { ok: true });
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    const address = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${address.port}`;
  }

  answer(...handlers: Handler[]): void {
    this.script = handlers;
  }

  reset(): void {
    this.seen.length = 0;
    this.script = [];
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const redirect =
  (status: number, location: string): Handler =>
  (_req, res) => {
    res.writeHead(status, { location });
    res.end();
  };

const vendor = new ScriptedServer();
const other = new ScriptedServer();

beforeAll(async () => {
  await Promise.all([vendor.start(), other.start()]);
});
afterAll(async () => {
  await Promise.all([vendor.stop(), other.stop()]);
});
afterEach(() => {
  vendor.reset();
  other.reset();
});

function client(options: Partial<VendorClientOptions> = {}): VendorClient {
  return new VendorClient({
    vendor: 'acme',
    baseUrl: `${vendor.url}/v1/`,
    auth: { authorization: `Bearer ${KEY}` },
    retry: { maxRetries: 2, retryBaseMs: 1 },
    ...options,
  });
}

function call(log?: (m: string) => void) {
  return { signal: new AbortController().signal, log };
}

async function failure(promise: Promise<unknown>): Promise<VendorError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(VendorError);
  return err as VendorError;
}

describe('VendorClient retries', () => {
  it('retries a 503 and gives the JSON of the answer that follows, under the base URL with the auth header', async () => {
    vendor.answer(
      (_q, r) => json(r, 503, { error: { message: 'overloaded' } }),
      (_q, r) => json(r, 200, { id: 'task-1' }),
    );
    const lines: string[] = [];
    const answer = await client().json<{ id: string }>(
      '/tasks',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' },
      call((m) => lines.push(m)),
    );
    expect(answer).toEqual({ id: 'task-1' });
    expect(vendor.seen.map((s) => [s.method, s.path, s.authorization, s.body])).toEqual([
      ['POST', '/v1/tasks', `Bearer ${KEY}`, '{"a":1}'],
      ['POST', '/v1/tasks', `Bearer ${KEY}`, '{"a":1}'],
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^acme: HTTP 503 \(overloaded\); retrying in \d+\.\d s \(attempt 2 of 3\)$/);
  });

  it('waits what Retry-After asks, not its own backoff', async () => {
    vendor.answer(
      (_q, r) => json(r, 429, {}, { 'retry-after': '0.2' }),
      (_q, r) => json(r, 200, { ok: 1 }),
    );
    const lines: string[] = [];
    const started = performance.now();
    // The backoff alone would wait a minute: the answer within far less shows Retry-After won.
    await client({ retry: { maxRetries: 1, retryBaseMs: 60_000 } }).json(
      '/x',
      {},
      call((m) => lines.push(m)),
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(lines).toEqual(['acme: HTTP 429; retrying in 0.2 s (attempt 2 of 2)']);
    expect(vendor.seen).toHaveLength(2);
  });

  it("treats a 4xx other than 408/429 as final, with the vendor's reason", async () => {
    vendor.answer((_q, r) => json(r, 422, { detail: 'prompt too long' }));
    const err = await failure(client().json('/x', {}, call()));
    expect(err.message).toBe('acme: HTTP 422 (prompt too long)');
    expect([err.status, err.retryable]).toEqual([422, false]);
    expect(vendor.seen).toHaveLength(1);
  });

  it('retries 408 and gives up after maxRetries with the last failure', async () => {
    vendor.answer((_q, r) => json(r, 408, {}));
    const err = await failure(client({ retry: { maxRetries: 2, retryBaseMs: 1 } }).json('/x', {}, call()));
    expect([err.status, err.retryable]).toEqual([408, true]);
    expect(vendor.seen).toHaveLength(3);
  });

  it('lets a vendor hook mark a 5xx final and a 2xx body a retryable failure', async () => {
    vendor.answer((_q, r) => json(r, 500, { error_type: 'model_error' }));
    const final = await failure(
      client().json(
        '/x',
        {},
        { ...call(), isFinal: (_res, body) => (body as { error_type?: string }).error_type !== undefined },
      ),
    );
    expect([final.status, final.retryable, final.finalByVendor]).toEqual([500, false, true]);
    expect(vendor.seen).toHaveLength(1);
    vendor.reset();
    vendor.answer(
      (_q, r) => json(r, 200, { busy: true }),
      (_q, r) => json(r, 200, { busy: false }),
    );
    const check = (body: unknown) => {
      if ((body as { busy: boolean }).busy) throw new VendorError('acme', 200, 'busy in the body', true);
    };
    expect(await client().json('/x', {}, { ...call(), check })).toEqual({ busy: false });
    expect(vendor.seen).toHaveLength(2);
  });

  it("retries an SDK call by the same policy, naming the base URL's host for a network error", async () => {
    let runs = 0;
    const classify = (err: unknown) =>
      err instanceof RangeError
        ? { status: 503, body: { message: 'busy' } }
        : err instanceof TypeError
          ? { status: null }
          : null;
    const value = await client().sdk(
      async () => {
        runs += 1;
        if (runs === 1) throw new RangeError('503');
        return 'done';
      },
      classify,
      call(),
    );
    expect([value, runs]).toEqual(['done', 2]);
    const err = await failure(
      client({ retry: { maxRetries: 0, retryBaseMs: 1 } }).sdk(
        async () => {
          throw new TypeError('fetch failed');
        },
        classify,
        call(),
      ),
    );
    expect(err.message).toBe(`acme: network error (connection failed to ${new URL(vendor.url).host})`);
  });
});

describe('VendorClient creates (payments): repeated only when the vendor says nothing was created', () => {
  const rule: CreateRule = { retryableStatuses: [502, 503, 504], source: 'test' };
  const create = (c = client()) =>
    c.json<{ id: string }>('/tasks', { method: 'POST', body: '{}' }, { ...call(), create: rule });

  it('sends a create once after a 500 and says the outcome is unknown', async () => {
    vendor.answer(
      (_q, r) => json(r, 500, { error: 'boom' }),
      (_q, r) => json(r, 200, { id: 'task-2' }),
    );
    const err = await create().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VendorOutcomeUnknownError);
    expect((err as Error).message).toBe(
      'acme: vendor outcome unknown: the create call answered HTTP 500 (boom); it was not sent again, since the first task may exist and bill',
    );
    expect(vendor.seen).toHaveLength(1);
  });

  it('sends a create again after 429 and the documented 503', async () => {
    vendor.answer(
      (_q, r) => json(r, 429, {}, { 'retry-after': '0' }),
      (_q, r) => json(r, 503, {}),
      (_q, r) => json(r, 200, { id: 'task-3' }),
    );
    expect(await create()).toEqual({ id: 'task-3' });
    expect(vendor.seen).toHaveLength(3);
  });

  it('does not send a create again after a timeout (the request was sent), but after a refused connection', async () => {
    vendor.answer(() => undefined); // never answers
    const err = await create(client({ timeoutMs: 100 })).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(VendorOutcomeUnknownError);
    expect((err as Error).message).toMatch(/got no answer \(timeout to 127\.0\.0\.1:\d+\)/);
    expect(vendor.seen).toHaveLength(1);

    const lines: string[] = [];
    // A port nobody listens on (just freed): ECONNREFUSED, nothing was sent.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const closedPort = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const refused = new VendorClient({
      vendor: 'acme',
      baseUrl: `http://127.0.0.1:${closedPort}`,
      retry: { maxRetries: 2, retryBaseMs: 1 },
    });
    const failed = await refused
      .json('/tasks', { method: 'POST', body: '{}' }, { ...call((m) => lines.push(m)), create: rule })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(failed).toBeInstanceOf(VendorError);
    expect(lines).toHaveLength(2);
  });
});

describe('VendorClient timeouts', () => {
  it('ends an attempt that gets no answer after timeoutMs, retries it, and says timeout', async () => {
    vendor.answer(() => undefined); // never answers
    const err = await failure(
      client({ timeoutMs: 150, retry: { maxRetries: 1, retryBaseMs: 1 } }).json('/slow', {}, call()),
    );
    expect(err.message).toBe(`acme: network error (timeout to ${new URL(vendor.url).host})`);
    expect(err.retryable).toBe(true);
    expect(vendor.seen).toHaveLength(2);
  });
});

describe('VendorClient redirects', () => {
  it("follows a redirect on the vendor's host with the auth header, and 303 turns a POST into a GET", async () => {
    vendor.answer(redirect(303, '/v1/result'), (_q, r) => json(r, 200, { done: true }));
    expect(
      await client().json(
        '/submit',
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' },
        call(),
      ),
    ).toEqual({ done: true });
    expect(vendor.seen.map((s) => [s.method, s.path, s.authorization, s.body])).toEqual([
      ['POST', '/v1/submit', `Bearer ${KEY}`, '{}'],
      ['GET', '/v1/result', `Bearer ${KEY}`, ''],
    ]);
  });

  it('refuses a redirect to plain http on another host, as final, without calling it', async () => {
    vendor.answer(redirect(302, `${other.url}/elsewhere?sig=secret-signature`));
    const err = await failure(client().json('/x', {}, call()));
    expect(err.message).toMatch(
      /^acme: HTTP 302 \(redirected to http:\/\/127\.0\.0\.1:\d+, which is neither https nor a configured acme host\)$/,
    );
    expect(err.message).not.toMatch(/secret-signature|elsewhere/);
    expect(err.retryable).toBe(false);
    expect(vendor.seen).toHaveLength(1);
    expect(other.seen).toHaveLength(0);
  });

  it("follows a redirect to a configured host, without the vendor's auth header", async () => {
    vendor.answer(redirect(307, `${other.url}/files/1`));
    other.answer((_q, r) => json(r, 200, { file: 1 }));
    expect(await client({ trustedHosts: [new URL(other.url).host] }).json('/x', {}, call())).toEqual({ file: 1 });
    expect(other.seen.map((s) => [s.path, s.authorization])).toEqual([['/files/1', undefined]]);
  });

  it('stops after 5 redirects', async () => {
    vendor.answer(redirect(302, '/v1/loop'));
    const err = await failure(client().json('/loop', {}, call()));
    expect(err.message).toBe('acme: HTTP 302 (redirected more than 5 times)');
    expect(vendor.seen).toHaveLength(6);
  });
});

describe('VendorClient errors carry no secret', () => {
  it('names the host only, never the key, the path or the query', async () => {
    vendor.answer((_q, r) => json(r, 401, { error: { message: 'invalid api key' } }));
    const unauthorized = await failure(
      client().json(`/tasks/abc?key=${KEY}`, { body: JSON.stringify({ key: KEY }), method: 'POST' }, call()),
    );
    expect(unauthorized.message).toBe('acme: HTTP 401 (invalid api key)');
    const closed = new ScriptedServer();
    await closed.start();
    const url = closed.url;
    await closed.stop();
    const lines: string[] = [];
    const network = await failure(
      client({ baseUrl: `${url}/v1`, retry: { maxRetries: 1, retryBaseMs: 1 } }).json(
        `/tasks/abc?key=${KEY}`,
        {},
        call((m) => lines.push(m)),
      ),
    );
    expect(network.message).toBe(`acme: network error (connection failed to ${new URL(url).host})`);
    for (const text of [unauthorized.message, network.message, ...lines]) {
      expect(text).not.toContain(KEY);
      expect(text).not.toContain('/tasks/abc');
    }
  });

  it("logs a cancel's answer or its failure, never throwing", async () => {
    vendor.answer((_q, r) => {
      r.writeHead(204);
      r.end();
    });
    const lines: string[] = [];
    await client().cancel('/tasks/t-1', { method: 'DELETE' }, 't-1', (m) => lines.push(m));
    expect(lines).toEqual(['acme: cancel of task t-1 answered HTTP 204']);
    expect(vendor.seen[0]).toMatchObject({ method: 'DELETE', path: '/v1/tasks/t-1', authorization: `Bearer ${KEY}` });
  });
});
