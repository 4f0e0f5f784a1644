// Exhaustion by connections: slow (partial-body) requests are cut after server.request_timeout_seconds
// while other clients are served, and sockets beyond the per-address / per-process caps get a 503.
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

/** A TCP client that records what the server sends and when it closes the socket. */
async function rawClient(url: string, payload?: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname, port: Number(port) });
  let data = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => { data += chunk; });
  socket.on('error', () => { /* a reset counts as closed */ });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  // A refused socket may be closed before the write completes: either ends the wait.
  if (payload) await Promise.race([new Promise<void>((resolve) => socket.write(payload, () => resolve())), closed]);
  return { socket, received: () => data, closed };
}

const PARTIAL_BODY = 'POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: 200\r\n\r\n{"prompt": "slow';

describe('request timeouts', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({
      server: {
        // Long enough that 200 slow clients are still open when the normal request is answered on a busy machine.
        request_timeout_seconds: 5, headers_timeout_seconds: 1, idle_timeout_seconds: 8, sse_heartbeat_seconds: 1,
        max_connections_per_address: 500,
      },
      // Submissions are rate limited before their body is read: that is not what this test is about.
      security: { rate_limit_per_minute: 10_000 },
    }, { worker: false });
  });
  afterAll(async () => { await svc?.close(); });

  it('closes 200 partial-body connections after the request timeout while serving a normal client', async () => {
    const slow = await Promise.all(Array.from({ length: 200 }, () => rawClient(svc.url, PARTIAL_BODY)));
    let closedCount = 0;
    for (const client of slow) void client.closed.then(() => { closedCount += 1; });

    const normal = await fetch(`${svc.url}/healthz`);
    expect(normal.status).toBe(200);
    const stillOpenWhenServed = 200 - closedCount;

    await Promise.all(slow.map((c) => c.closed));
    // The server, not the client, ended them, answering 408 in the envelope.
    for (const client of slow) {
      expect(client.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(client.received()).toContain('"retryable":true');
    }
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

  async function expectRefused(url: string): Promise<void> {
    const refused = await rawClient(url, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await refused.closed;
    const text = refused.received();
    expect(text).toMatch(/^HTTP\/1\.1 503 /);
    expect(text).toMatch(/\r\nretry-after: \d+\r\n/);
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'ServiceUnavailable', retryable: true });
  }

  it('answers 503 with Retry-After beyond server.max_connections_per_address, and serves again once one closes', async () => {
    const svc = await startTestService({ server: { max_connections: 10, max_connections_per_address: 3 } }, { worker: false });
    try {
      for (let i = 0; i < 3; i += 1) open.push(await rawClient(svc.url));
      await expectRefused(svc.url);
      const first = open.shift()!;
      first.socket.destroy();
      await first.closed;
      // The server sees the close a moment after the client does.
      const ok = await waitFor(async () => {
        const res = await fetch(`${svc.url}/healthz`, { headers: { connection: 'close' } }).catch(() => null);
        return res?.status === 200 ? res : null;
      }, { what: 'a free connection slot' });
      expect(ok.status).toBe(200);
    } finally {
      // Sockets that never sent a request would hold up the server's close.
      for (const c of open.splice(0)) c.socket.destroy();
      await svc.close();
    }
  }, 30_000);

  it('does not cap trusted proxies per address, but caps the process at server.max_connections', async () => {
    const svc = await startTestService({
      server: { max_connections: 4, max_connections_per_address: 2 },
      security: { trusted_proxies: ['127.0.0.1'] },
    }, { worker: false });
    try {
      for (let i = 0; i < 3; i += 1) open.push(await rawClient(svc.url));
      // A third socket from the (trusted) address was accepted: it gets a real answer.
      const third = open[2]!;
      third.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await waitFor(async () => /\r\n\r\n\{/.test(third.received()), { what: 'an answer on the third socket' });
      expect(third.received()).toMatch(/^HTTP\/1\.1 200 /);
      open.push(await rawClient(svc.url));
      await expectRefused(svc.url);
    } finally {
      // Sockets that never sent a request would hold up the server's close.
      for (const c of open.splice(0)) c.socket.destroy();
      await svc.close();
    }
  }, 30_000);
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
    expect(bad({ headers_timeout_seconds: 40, request_timeout_seconds: 30 })).toContain('server.headers_timeout_seconds: must not exceed server.request_timeout_seconds');
    expect(bad({ idle_timeout_seconds: 10, sse_heartbeat_seconds: 15 })).toContain('server.idle_timeout_seconds');
    expect(bad({ max_connections: 10, max_connections_per_address: 20 })).toContain('server.max_connections_per_address');
    expect(bad({ request_timeout_seconds: 0 })).toContain('server.request_timeout_seconds');
  });
});
