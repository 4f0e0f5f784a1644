// Exhaustion by connections: slow (partial-body) requests are cut after server.request_timeout_seconds
// while other clients are served, and sockets beyond the per-address / per-process caps get a 503;
// at the process cap idle sockets are closed first. Answers written on the raw socket (408, 431, 400,
// 503) carry the error envelope and the security headers like every other answer.
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { waitFor } from '../../support/wait-for.js';

interface RawClient {
  socket: Socket;
  received: () => string;
  closed: Promise<void>;
}

/** A TCP client (from a chosen loopback source address) that records what the server sends and when it closes the socket. */
async function rawClient(url: string, payload?: string, from = '127.0.0.1'): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port), localAddress: from });
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    data += chunk;
  });
  socket.on('error', () => {
    /* a reset counts as closed */
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  // A refused socket may be closed before the write completes: either ends the wait.
  if (payload) await Promise.race([new Promise<void>((resolve) => socket.write(payload, () => resolve())), closed]);
  return { socket, received: () => data, closed };
}

/** The head and the parsed JSON body of the one answer in `text`. */
function parseAnswer(text: string): { status: number; headers: Record<string, string>; body: Record<string, unknown> } {
  const [head = '', body = ''] = [text.slice(0, text.indexOf('\r\n\r\n')), text.slice(text.indexOf('\r\n\r\n') + 4)];
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines)
    headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  return { status: Number(statusLine.split(' ')[1]), headers, body: JSON.parse(body) as Record<string, unknown> };
}

/** What every answer carries, also those written on the socket before any route runs. */
function expectSecurityHeaders(text: string): void {
  const { headers, body } = parseAnswer(text);
  expect(headers).toMatchObject({
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'x-permitted-cross-domain-policies': 'none',
    'cache-control': 'no-store',
    'content-type': 'application/json; charset=utf-8',
  });
  expect(headers['content-security-policy']).toContain("default-src 'none'");
  expect(headers['x-request-id']).toBe(body.request_id);
  expect(headers['x-correlation-id']).toBe(body.request_id);
  expect(body).toMatchObject({ error: expect.any(String), message: expect.any(String), timestamp: expect.any(String) });
}

const PARTIAL_BODY =
  'POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{"prompt": "slow';

describe('request timeouts', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(
      {
        server: {
          // Long enough that 200 slow clients are still open when the normal request is answered on a busy machine.
          request_timeout_seconds: 5,
          headers_timeout_seconds: 1,
          idle_timeout_seconds: 8,
          sse_heartbeat_seconds: 1,
          max_connections_per_address: 500,
        },
        // Submissions are rate limited before their body is read: that is not what this test is about.
        security: { rate_limit_per_minute: 10_000 },
      },
      { worker: false },
    );
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('closes 200 partial-body connections after the request timeout while serving a normal client', async () => {
    const slow = await Promise.all(Array.from({ length: 200 }, () => rawClient(svc.url, PARTIAL_BODY)));
    let closedCount = 0;
    for (const client of slow)
      void client.closed.then(() => {
        closedCount += 1;
      });

    const normal = await fetch(`${svc.url}/healthz`);
    expect(normal.status).toBe(200);
    const stillOpenWhenServed = 200 - closedCount;

    await Promise.all(slow.map((c) => c.closed));
    // The server, not the client, ended them, answering 408 in the envelope.
    for (const client of slow) {
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(client.received()).toContain('"retryable":true');
    }
    expectSecurityHeaders(slow[0]!.received());
    expect(stillOpenWhenServed).toBeGreaterThan(0);
  }, 60_000);

  it('closes a connection that never finishes its headers', async () => {
    const client = await rawClient(svc.url, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    await client.closed;
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
  }, 30_000);
});

describe('connection caps', () => {
  const open: RawClient[] = [];
  afterEach(() => {
    for (const c of open.splice(0)) c.socket.destroy();
  });

  async function expectRefused(url: string, from = '127.0.0.1'): Promise<void> {
    const refused = await rawClient(url, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', from);
    await refused.closed;
    const text = refused.received();
    expect(text).toMatch(/^HTTP\/1\.1 503 /);
    expect(text).toMatch(/\r\nretry-after: \d+\r\n/);
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'ServiceUnavailable', retryable: true });
    expectSecurityHeaders(text);
  }

  it('answers 503 with Retry-After beyond server.max_connections_per_address, and serves again once one closes', async () => {
    const svc = await startTestService(
      { server: { max_connections: 10, max_connections_per_address: 3 } },
      { worker: false },
    );
    try {
      for (let i = 0; i < 3; i += 1) open.push(await rawClient(svc.url));
      await expectRefused(svc.url);
      const first = open.shift()!;
      first.socket.destroy();
      await first.closed;
      // The server sees the close a moment after the client does.
      const ok = await waitFor(
        async () => {
          const res = await fetch(`${svc.url}/healthz`, { headers: { connection: 'close' } }).catch(() => null);
          return res?.status === 200 ? res : null;
        },
        { what: 'a free connection slot' },
      );
      expect(ok.status).toBe(200);
    } finally {
      // Sockets that never sent a request would hold up the server's close.
      for (const c of open.splice(0)) c.socket.destroy();
      await svc.close();
    }
  }, 30_000);

  it('does not cap trusted proxies per address, but caps the process at server.max_connections', async () => {
    const svc = await startTestService(
      {
        server: { max_connections: 4, max_connections_per_address: 2 },
        security: { trusted_proxies: ['127.0.0.1'] },
      },
      { worker: false },
    );
    try {
      const { id } = (await (
        await fetch(`${svc.url}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', connection: 'close' },
          body: '{"prompt":"Never runs."}',
        })
      ).json()) as { id: string };
      // Four sockets from the (trusted) address, past its per-address cap of 2, each busy with an
      // event stream (busy sockets are never closed to make room).
      for (let i = 0; i < 4; i += 1) {
        const client = await rawClient(
          svc.url,
          `GET /v1/jobs/${id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`,
        );
        open.push(client);
        await waitFor(async () => /\r\n\r\n/.test(client.received()), { what: 'an answer on a proxy socket' });
        expect(client.received()).toMatch(/^HTTP\/1\.1 200 /);
      }
      await expectRefused(svc.url);
    } finally {
      // Sockets that never sent a request would hold up the server's close.
      for (const c of open.splice(0)) c.socket.destroy();
      await svc.close();
    }
  }, 30_000);
});

describe('idle sockets at the process cap', () => {
  const open: RawClient[] = [];
  afterEach(() => {
    for (const c of open.splice(0)) c.socket.destroy();
  });

  it('closes the silent socket idle longest from the address holding the most for a lighter newcomer; refuses one from that address', async () => {
    const svc = await startTestService(
      { server: { max_connections: 4, max_connections_per_address: 4 } },
      { worker: false },
    );
    try {
      // Silent sockets that never send a byte, as reconnecting clients leave them: the oldest from an address holding one…
      const lone = await rawClient(svc.url, undefined, '127.0.0.3');
      open.push(lone);
      // …and three from an address holding three.
      const heavy: RawClient[] = [];
      for (let i = 0; i < 3; i += 1) heavy.push(await rawClient(svc.url, undefined, '127.0.0.2'));
      open.push(...heavy);
      let loneClosed = false;
      void lone.closed.then(() => {
        loneClosed = true;
      });
      // The heavy address cannot displace its own sockets (a reconnecting flood settles instead of churning)…
      await expectRefused(svc.url, '127.0.0.2');
      // …a newcomer from an address holding none takes the place of the oldest heavy one.
      const served = await fetch(`${svc.url}/healthz`, { headers: { connection: 'close' } });
      expect(served.status).toBe(200);
      await heavy[0]!.closed;
      expect(heavy[0]!.received()).toBe('');
      expect(heavy[1]!.socket.destroyed || heavy[2]!.socket.destroyed).toBe(false);
      expect(loneClosed).toBe(false);
    } finally {
      for (const c of open.splice(0)) c.socket.destroy();
      await svc.close();
    }
  }, 30_000);

  it('closes a kept-alive socket between requests, and refuses (503) once every socket has a request in flight', async () => {
    const svc = await startTestService(
      { server: { max_connections: 4, max_connections_per_address: 4 } },
      { worker: false },
    );
    try {
      const { id } = (await (
        await fetch(`${svc.url}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', connection: 'close' },
          body: '{"prompt":"Never runs."}',
        })
      ).json()) as { id: string };
      const stream = `GET /v1/jobs/${id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`;
      const streamOpen = (c: RawClient) =>
        waitFor(async () => /^HTTP\/1\.1 200 [\s\S]*\r\n\r\n/.test(c.received()), { what: 'an open event stream' });
      // Three event streams (a request in flight until the job ends) and one kept-alive socket that finished its request.
      for (let i = 0; i < 3; i += 1) {
        const c = await rawClient(svc.url, stream, '127.0.0.2');
        open.push(c);
        await streamOpen(c);
      }
      const parked = await rawClient(svc.url, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', '127.0.0.3');
      open.push(parked);
      await waitFor(async () => /\r\n\r\n\{.*\}$/s.test(parked.received()), { what: 'the kept-alive answer' });
      expect((await fetch(`${svc.url}/healthz`, { headers: { connection: 'close' } })).status).toBe(200);
      await parked.closed;
      // Now four streams: nothing is idle, so a newcomer is refused and the streams keep going.
      const fourth = await rawClient(svc.url, stream, '127.0.0.2');
      open.push(fourth);
      await streamOpen(fourth);
      await expectRefused(svc.url);
      for (const c of open.filter((c) => c !== parked)) expect(c.socket.destroyed, 'a stream was closed').toBe(false);
    } finally {
      for (const c of open.splice(0)) c.socket.destroy();
      await svc.close();
    }
  }, 30_000);

  async function expectRefused(url: string, from = '127.0.0.1'): Promise<void> {
    const refused = await rawClient(url, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', from);
    await refused.closed;
    expect(refused.received()).toMatch(/^HTTP\/1\.1 503 /);
    expectSecurityHeaders(refused.received());
  }
});

describe('answers the HTTP parser refuses', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({}, { worker: false });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('431 (headers too large) and 400 (malformed) carry the envelope and the security headers', async () => {
    for (const [raw, status] of [
      [`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`, 431],
      ['GARBAGE\r\n\r\n', 400],
      ['GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello', 400],
    ] as const) {
      const client = await rawClient(svc.url, raw);
      await client.closed;
      expect(parseAnswer(client.received()).status).toBe(status);
      expectSecurityHeaders(client.received());
    }
  });
});

describe('shutdown', () => {
  it('does not wait for a socket that never sent a request', async () => {
    const svc = await startTestService({}, { worker: false });
    const silent = await rawClient(svc.url);
    // The server has accepted it once it answers another client on a fresh socket.
    expect((await fetch(`${svc.url}/healthz`, { headers: { connection: 'close' } })).status).toBe(200);
    await svc.close();
    await silent.closed;
    expect(silent.received()).toBe('');
  }, 30_000);
});

describe('timeout and cap settings', () => {
  it('are validated with the key named', () => {
    const bad = (server: Record<string, unknown>) => {
      const result = configSchema.safeParse({ server });
      expect(result.success).toBe(false);
      return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
    };
    expect(bad({ headers_timeout_seconds: 40, request_timeout_seconds: 30 })).toContain(
      'server.headers_timeout_seconds: must not exceed server.request_timeout_seconds',
    );
    expect(bad({ idle_timeout_seconds: 10, sse_heartbeat_seconds: 15 })).toContain('server.idle_timeout_seconds');
    expect(bad({ max_connections: 10, max_connections_per_address: 20 })).toContain(
      'server.max_connections_per_address',
    );
    expect(bad({ request_timeout_seconds: 0 })).toContain('server.request_timeout_seconds');
  });
});
