// The HTTP/3 edge for real: `ttv edge --run` supervises Debian's Caddy in front of a live API.
// HTTP/3 through impit (QUIC forced), HTTP/2 through node:http2, HTTP/1.1 through node:https;
// a TLS 1.2-only client is refused. The API's own TLS (h2 + http/1.1, TLS 1.3) is tested directly.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { connect as http2Connect } from 'node:http2';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Impit } from 'impit';
import { startTestService, type TestService } from '../support/test-service.js';
import { TTV_BIN } from '../support/ttv-process.js';
import { waitFor } from '../support/wait-for.js';
import { apiRoutes, PATH_VARIANTS, REFUSALS } from '../support/path-corpus.js';
import { selfSignedCert } from '../support/self-signed.js';

const TOKEN = 'edge-test-token-0123456789';
let dir: string;
let api: TestService;
let edge: ChildProcess;
let edgePort: number;
let redirectPort: number;
let userHome: string;
let edgeOutput = '';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

function h2Get(
  origin: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string; alpn: string | false | undefined }> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(origin, { rejectUnauthorized: false });
    session.once('error', reject);
    const req = session.request({ ':path': path, ...headers });
    let body = '';
    let head: Record<string, unknown> = {};
    req.on('response', (h) => {
      head = h;
    });
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const alpn = session.alpnProtocol;
      session.close();
      resolve({ status: Number(head[':status']), headers: head, body, alpn });
    });
    req.on('error', reject);
    req.end();
  });
}

function h1Get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; alpn: string | false; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    // ALPNProtocols is a tls.connect option that https passes through; its typings leave it out.
    // Host must name the edge's site (localhost): with 127.0.0.1 Caddy answers an empty 200 itself.
    const options = {
      host: '127.0.0.1',
      servername: 'localhost',
      port,
      path,
      headers: { host: `localhost:${port}`, ...headers },
      rejectUnauthorized: false,
      ALPNProtocols: ['http/1.1'],
    } as RequestOptions;
    const req = httpsRequest(options, (res) => {
      const alpn = (res.socket as unknown as { alpnProtocol: string | false }).alpnProtocol;
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, alpn, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves with the negotiated TLS version, or rejects when the server refuses the handshake. */
function tlsHandshake(port: number, maxVersion: 'TLSv1.2' | 'TLSv1.3'): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect(
      { host: '127.0.0.1', servername: 'localhost', port, maxVersion, rejectUnauthorized: false },
      () => {
        const version = socket.getProtocol() ?? '';
        socket.end();
        resolve(version);
      },
    );
    socket.once('error', reject);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-edge-'));
  edgePort = await freePort();
  redirectPort = await freePort();
  userHome = join(dir, 'user-home');
  await mkdir(userHome);
  api = await startTestService({
    server: { quic_port: edgePort, alt_svc_max_age: 3600 },
    security: { auth_token: TOKEN, trusted_proxies: ['127.0.0.1'] },
  });
  const apiPort = Number(new URL(api.url).port);
  const config = join(dir, 'ttv.yaml');
  await writeFile(
    config,
    `server: { port: ${apiPort}, quic_port: ${edgePort}, alt_svc_max_age: 3600 }\nsecurity: { trusted_proxies: ["127.0.0.1"] }\nedge: { http_port: ${redirectPort} }\n`,
  );
  // A home of its own, to show that Caddy writes nothing there (its state belongs in the data dir).
  const env = {
    ...process.env,
    HOME: userHome,
    XDG_CONFIG_HOME: join(userHome, '.config'),
    XDG_DATA_HOME: join(userHome, '.local', 'share'),
  };
  edge = spawn(process.execPath, [TTV_BIN, 'edge', '--config', config, '--data-dir', dir, '--run'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  edge.stdout!.on('data', (c: Buffer) => {
    edgeOutput += c.toString();
  });
  edge.stderr!.on('data', (c: Buffer) => {
    edgeOutput += c.toString();
  });
  await waitFor(
    async () =>
      (await h1Get(edgePort, '/healthz')
        .then((r) => r.status === 200)
        .catch(() => false)) || null,
    { timeoutMs: 20_000, what: `the edge to serve (${edgeOutput.slice(-300)})` },
  );
});

afterAll(async () => {
  if (edge && edge.exitCode === null) {
    edge.kill('SIGTERM');
    await once(edge, 'exit');
  }
  await api?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('HTTP/3 edge (Caddy)', () => {
  it('redirects plain HTTP to HTTPS (path and query kept), and the redirect leads to the API', async () => {
    const res = await fetch(`http://127.0.0.1:${redirectPort}/v1/jobs?limit=1`, {
      redirect: 'manual',
      headers: { host: 'evil.example' },
    });
    expect(res.status).toBe(308);
    // edge.host, never the client's Host.
    expect(res.headers.get('location')).toBe(`https://localhost:${edgePort}/v1/jobs?limit=1`);
    const followed = await h1Get(edgePort, new URL(res.headers.get('location')!).pathname + '?limit=1', {
      authorization: `Bearer ${TOKEN}`,
    });
    expect(followed.status).toBe(200);
  });

  it("keeps Caddy's state (certificates, autosaved config) in the data dir, none in the user's home", async () => {
    await waitFor(async () => await stat(join(dir, 'caddy', 'config', 'caddy', 'autosave.json')).catch(() => null), {
      timeoutMs: 20_000,
      what: "Caddy's autosave in the data dir",
    });
    expect((await readdir(join(dir, 'caddy'))).length).toBeGreaterThan(0);
    expect(await readdir(userHome)).toEqual([]);
  });

  it('submits a job and reads its status over HTTP/3', async () => {
    const impit = new Impit({ http3: true, ignoreTlsErrors: true });
    const origin = `https://localhost:${edgePort}`;
    const submitted = await impit.fetch(`${origin}/v1/jobs`, {
      method: 'POST',
      forceHttp3: true,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ prompt: 'Over QUIC.' }),
    });
    expect(submitted.status).toBe(202);
    const { id } = (await submitted.json()) as { id: string };
    const status = await impit.fetch(`${origin}/v1/jobs/${id}`, {
      forceHttp3: true,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(status.status).toBe(200);
    expect(((await status.json()) as { id: string }).id).toBe(id);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(
      Number(/ttv_api_requests_by_protocol_total\{protocol="h3"\} (\d+)/.exec(metrics)?.[1] ?? 0),
    ).toBeGreaterThanOrEqual(2);
  });

  it('serves the same API over HTTP/2 and HTTP/1.1, and tells the API which one the client used', async () => {
    const h2 = await h2Get(`https://localhost:${edgePort}`, '/v1/jobs?limit=1', { authorization: `Bearer ${TOKEN}` });
    expect(h2.alpn).toBe('h2');
    expect(h2.status).toBe(200);
    expect(JSON.parse(h2.body)).toHaveProperty('jobs');
    const h1 = await h1Get(edgePort, '/v1/jobs?limit=1', { authorization: `Bearer ${TOKEN}` });
    expect(h1.alpn).toBe('http/1.1');
    expect(h1.status).toBe(200);
    expect(h1.headers['x-request-id']).toEqual(expect.any(String)); // the API answered, not Caddy
    // One Alt-Svc, the API's (server.alt_svc_max_age), not Caddy's own ma=2592000 on top or instead.
    expect(h1.headers['alt-svc']).toBe(`h3=":${edgePort}"; ma=3600`);
    expect(h2.headers['alt-svc']).toBe(`h3=":${edgePort}"; ma=3600`);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    expect(metrics).toMatch(/ttv_api_requests_by_protocol_total\{protocol="h2"\} [1-9]/);
    expect(metrics.split('\n').filter((l) => l.startsWith('ttv_api_requests_by_protocol_total'))).toContainEqual(
      expect.stringMatching(/protocol="http\/1\.1"\} [1-9]/),
    );
  });

  it('refuses every spelling of every protected route without a token over HTTP/3 (the path-encoding corpus)', async () => {
    const secret = `Edge secret prompt ${Date.now()}.`;
    const created = await fetch(`${api.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ prompt: secret }),
    });
    const { id } = (await created.json()) as { id: string };
    const impit = new Impit({ http3: true, ignoreTlsErrors: true });
    const origin = `https://localhost:${edgePort}`;
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    // HTTP/3 carries a path pseudo-header: absolute-form targets do not exist there.
    const cases = apiRoutes(id)
      .filter((r) => r.protected)
      .flatMap((route) =>
        PATH_VARIANTS.map((v) => v.target(route.path))
          .filter((t) => t.startsWith('/'))
          .flatMap((target) =>
            (['GET', 'HEAD', 'POST', 'OPTIONS', 'DELETE'] as const).map((method) => ({ target, method })),
          ),
      );
    for (let i = 0; i < cases.length; i += 16) {
      await Promise.all(
        cases.slice(i, i + 16).map(async ({ target, method }) => {
          // A QUIC stream the edge ends early (H3_NO_ERROR while the body is read) is a transport
          // event, not an answer: the request is sent again, and only answers are judged.
          let answer: { status: number; body: string } | null = null;
          let transport = '';
          for (let attempt = 0; attempt < 3 && !answer; attempt += 1) {
            try {
              const res = await impit.fetch(`${origin}${target}`, {
                method,
                forceHttp3: true,
                ...(method === 'POST'
                  ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'Sneaked in.' }) }
                  : {}),
              });
              answer = { status: res.status, body: method === 'HEAD' ? '' : await res.text() };
            } catch (err) {
              transport = String(err);
            }
          }
          if (!answer) {
            failures.push(`${method} ${target} → no answer in 3 tries (${transport})`);
            return;
          }
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.body.includes(secret) || !REFUSALS.has(answer.status))
            failures.push(`${method} ${target} → ${answer.status}`);
        }),
      );
    }
    expect(failures).toEqual([]);
    expect(statuses.get(401)).toBeGreaterThan(0);
  }, 120_000);

  it('negotiates TLS 1.3 and refuses a TLS 1.2-only client', async () => {
    expect(await tlsHandshake(edgePort, 'TLSv1.3')).toBe('TLSv1.3');
    await expect(tlsHandshake(edgePort, 'TLSv1.2')).rejects.toThrow();
  });
});

describe('Alt-Svc from the API', () => {
  it('advertises h3 on the edge port for requests the trusted edge marks as HTTPS, and only those', async () => {
    const viaEdge = await fetch(`${api.url}/healthz`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(viaEdge.headers.get('alt-svc')).toBe(`h3=":${edgePort}"; ma=3600`);
    expect(viaEdge.headers.get('strict-transport-security')).toMatch(/max-age/);
    const plain = await fetch(`${api.url}/healthz`);
    expect(plain.headers.get('alt-svc')).toBeNull();
  });
});

describe("the API's own TLS", () => {
  it('speaks h2 and http/1.1 by ALPN over TLS 1.3 only, with HSTS', async () => {
    selfSignedCert(dir);
    const secure = await startTestService(
      { server: { tls: { cert_path: join(dir, 'cert.pem'), key_path: join(dir, 'key.pem') } } },
      { worker: false },
    );
    try {
      expect(secure.url).toMatch(/^https:/);
      const port = Number(new URL(secure.url).port);
      const h2 = await h2Get(`https://localhost:${port}`, '/healthz');
      expect(h2.alpn).toBe('h2');
      expect(h2.status).toBe(200);
      expect(h2.headers['strict-transport-security']).toMatch(/max-age=/);
      const h1 = await h1Get(port, '/healthz');
      expect(h1.alpn).toBe('http/1.1');
      expect(h1.status).toBe(200);
      expect(await tlsHandshake(port, 'TLSv1.3')).toBe('TLSv1.3');
      await expect(tlsHandshake(port, 'TLSv1.2')).rejects.toThrow();
    } finally {
      await secure.close();
    }
  });
});
