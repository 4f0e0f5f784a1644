// Open mode (no token, no key; loopback only) is loopback-only in every sense: a Host that is not a
// loopback name or in server.allowed_hosts gets 421 (DNS rebinding), and a state-changing request
// from another site gets 403 unless security.cors_origins lists its origin; the CLI (no Origin) and
// the server's own pages (same origin) are served. In keyed mode the Host check holds only with
// server.allowed_hosts set, and cross-site writes are left to the bearer token.
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../../src/client/api-client.js';
import { configSchema } from '../../../src/config/schema.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { selfSignedCert } from '../../support/self-signed.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with any Host header (fetch will not send one of our choosing). */
function send(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: Buffer | string,
): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: hostname,
        port,
        method,
        path,
        headers: { ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The multipart form a web page's <form enctype="multipart/form-data"> posts: a "simple" request, no preflight. */
function multipartForm(fields: Record<string, string>): { body: string; type: string } {
  const boundary = '----WebKitFormBoundaryq1w2e3r4t5y6u7i8';
  const parts = Object.entries(fields).map(
    ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  return { body: `${parts.join('')}--${boundary}--\r\n`, type: `multipart/form-data; boundary=${boundary}` };
}

async function jobCount(url: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${url}/v1/jobs?limit=100`, { headers });
  expect(res.status).toBe(200);
  return ((await res.json()) as { jobs: unknown[] }).jobs.length;
}

describe('open mode', () => {
  let svc: TestService;
  let port: string;
  beforeAll(async () => {
    svc = await startTestService(
      {
        server: { allowed_hosts: ['ttv.internal', '[fd00::7]'] },
        security: { cors_origins: ['https://app.example.com'], rate_limit_per_minute: 1000 },
      },
      { worker: false },
    );
    port = new URL(svc.url).port;
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('answers Host: attacker.example with 421 in the envelope of the matched route, on every route', async () => {
    for (const path of ['/v1/jobs', '/healthz', '/', '/openapi.json', '/nope']) {
      const res = await send(svc.url, 'GET', path, { host: `attacker.example:${port}` });
      expect(res.status, path).toBe(421);
      const body = JSON.parse(res.body) as Record<string, unknown>;
      expect(body, path).toMatchObject({
        error: 'MisdirectedRequest',
        details: { field: 'Host' },
        request_id: res.headers['x-request-id'],
      });
      expect(res.headers['x-content-type-options'], path).toBe('nosniff');
    }
    // /v1/videos answers in OpenAI's envelope.
    const videos = await send(svc.url, 'GET', '/v1/videos', { host: 'attacker.example' });
    expect(videos.status).toBe(421);
    expect(JSON.parse(videos.body)).toMatchObject({
      error: { code: 'misdirected_request', type: 'invalid_request_error' },
    });
  });

  it('refuses Host spellings that only look loopback', async () => {
    for (const host of [
      'attacker.example',
      '127.0.0.1.attacker.example',
      'evil@127.0.0.1',
      'localhost.',
      'sub.localhost',
      '[::2]',
      '0x7f.0.0.1',
      'ttv.internal.evil',
      '127.0.0.1/x',
    ]) {
      expect((await send(svc.url, 'GET', '/healthz', { host })).status, host).toBe(421);
    }
  });

  it('serves loopback names and server.allowed_hosts, with or without a port, in any case', async () => {
    for (const host of [
      `127.0.0.1:${port}`,
      '127.0.0.1',
      '127.1.2.3:80',
      `localhost:${port}`,
      'LOCALHOST',
      `[::1]:${port}`,
      '[::1]',
      '[0:0:0:0:0:0:0:1]',
      '[::ffff:127.0.0.1]',
      'ttv.internal:8443',
      'TTV.Internal',
      '[fd00::7]:1',
      '[FD00:0:0::7]',
    ]) {
      expect((await send(svc.url, 'GET', '/healthz', { host })).status, host).toBe(200);
    }
  });

  it('refuses a cross-site multipart POST to /v1/videos and creates no job', async () => {
    const before = await jobCount(svc.url);
    const form = multipartForm({ prompt: 'A web page spends your vendor credit.' });
    const res = await send(
      svc.url,
      'POST',
      '/v1/videos',
      {
        host: `127.0.0.1:${port}`,
        origin: 'https://evil.example',
        'sec-fetch-site': 'cross-site',
        'content-type': form.type,
      },
      form.body,
    );
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'forbidden', type: 'permission_error' } });
    expect(await jobCount(svc.url)).toBe(before);
  });

  it('refuses cross-site and same-site writes on /v1/jobs, whichever header tells', async () => {
    const before = await jobCount(svc.url);
    const json = JSON.stringify({ prompt: 'Cross-site.' });
    const cases: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      // Another port of the same machine is the same site, not the same origin.
      { origin: `http://127.0.0.1:${Number(port) + 1}`, 'sec-fetch-site': 'same-site' },
      { origin: `http://localhost:${port}` },
      { origin: `https://127.0.0.1:${port}` },
    ];
    for (const headers of cases) {
      const res = await send(
        svc.url,
        'POST',
        '/v1/jobs',
        { host: `127.0.0.1:${port}`, 'content-type': 'application/json', ...headers },
        json,
      );
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(JSON.parse(res.body), JSON.stringify(headers)).toMatchObject({
        error: 'Forbidden',
        details: { reason: 'cross_site_request' },
      });
    }
    const cancel = await send(svc.url, 'POST', '/v1/jobs/00000000-0000-4000-8000-000000000000/cancel', {
      host: `127.0.0.1:${port}`,
      origin: 'https://evil.example',
    });
    expect(cancel.status).toBe(403);
    expect(await jobCount(svc.url)).toBe(before);
  });

  it('accepts same-origin writes (the dashboard) and writes with no Origin (the CLI)', async () => {
    const json = JSON.stringify({ prompt: 'Same origin.' });
    const sameOrigin = await send(
      svc.url,
      'POST',
      '/v1/jobs',
      {
        host: `127.0.0.1:${port}`,
        origin: `http://127.0.0.1:${port}`,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/json',
      },
      json,
    );
    expect(sameOrigin.status).toBe(202);
    const viaLocalhost = await send(
      svc.url,
      'POST',
      '/v1/jobs',
      { host: `localhost:${port}`, origin: `http://localhost:${port}`, 'content-type': 'application/json' },
      json,
    );
    expect(viaLocalhost.status).toBe(202);
    const form = multipartForm({ prompt: 'Same-origin form.' });
    const video = await send(
      svc.url,
      'POST',
      '/v1/videos',
      {
        host: `127.0.0.1:${port}`,
        origin: `http://127.0.0.1:${port}`,
        'sec-fetch-site': 'same-origin',
        'content-type': form.type,
      },
      form.body,
    );
    expect(video.status).toBe(200);

    // The CLI's own client: fetch sends neither Origin nor Sec-Fetch-Site.
    const client = new ApiClient({ server: svc.url });
    const job = await client.submit('From the CLI.');
    expect(job.status).toBe('queued');
    expect((await client.cancel(job.id)).status).toBe('canceled');
  });

  it('lets security.cors_origins origins write, and reads from anywhere (their answers stay unreadable without CORS)', async () => {
    const json = JSON.stringify({ prompt: 'From the allowed app.' });
    const allowed = await send(
      svc.url,
      'POST',
      '/v1/jobs',
      {
        host: `127.0.0.1:${port}`,
        origin: 'https://app.example.com',
        'sec-fetch-site': 'cross-site',
        'content-type': 'application/json',
      },
      json,
    );
    expect(allowed.status).toBe(202);
    const read = await send(svc.url, 'GET', '/v1/jobs', {
      host: `127.0.0.1:${port}`,
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
    });
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('open mode over TLS (HTTP/2)', () => {
  it('reads the Host from :authority and refuses cross-site writes the same way', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ttv-open-tls-'));
    selfSignedCert(dir);
    const svc = await startTestService(
      { server: { tls: { cert_path: join(dir, 'cert.pem'), key_path: join(dir, 'key.pem') } } },
      { worker: false },
    );
    const session = h2connect(svc.url, { rejectUnauthorized: false });
    try {
      const port = new URL(svc.url).port;
      const h2 = (headers: Record<string, string>, body?: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const stream = session.request(headers);
          let text = '';
          let status = 0;
          stream.setEncoding('utf8');
          stream.on('response', (h) => {
            status = Number(h[':status']);
          });
          stream.on('data', (c: string) => {
            text += c;
          });
          stream.on('end', () => resolve({ status, body: text }));
          stream.on('error', reject);
          stream.end(body);
        });
      expect((await h2({ ':path': '/healthz', ':authority': `localhost:${port}` })).status).toBe(200);
      const rebound = await h2({ ':path': '/v1/jobs', ':authority': `attacker.example:${port}` });
      expect(rebound.status).toBe(421);
      expect(JSON.parse(rebound.body)).toMatchObject({ error: 'MisdirectedRequest' });
      const json = JSON.stringify({ prompt: 'Over HTTP/2.' });
      const cross = await h2(
        {
          ':method': 'POST',
          ':path': '/v1/jobs',
          ':authority': `localhost:${port}`,
          'content-type': 'application/json',
          origin: 'https://evil.example',
        },
        json,
      );
      expect(cross.status).toBe(403);
      const same = await h2(
        {
          ':method': 'POST',
          ':path': '/v1/jobs',
          ':authority': `localhost:${port}`,
          'content-type': 'application/json',
          origin: `https://localhost:${port}`,
          'sec-fetch-site': 'same-origin',
        },
        json,
      );
      expect(same.status).toBe(202);
    } finally {
      session.close();
      await svc.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('keyed mode', () => {
  const TOKEN = 'open-mode-guard-token-0001';
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ security: { auth_token: TOKEN } }, { worker: false });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('serves any Host (a rebinding page holds no key) and leaves cross-site writes to the bearer token', async () => {
    const port = new URL(svc.url).port;
    expect((await send(svc.url, 'GET', '/v1/jobs', { host: 'video.example.com' })).status).toBe(401);
    expect(
      (await send(svc.url, 'GET', '/v1/jobs', { host: 'video.example.com', authorization: `Bearer ${TOKEN}` })).status,
    ).toBe(200);
    const json = JSON.stringify({ prompt: 'Keyed, from another origin.' });
    const noKey = await send(
      svc.url,
      'POST',
      '/v1/jobs',
      { host: `127.0.0.1:${port}`, origin: 'https://evil.example', 'content-type': 'application/json' },
      json,
    );
    expect(noKey.status).toBe(401);
    const withKey = await send(
      svc.url,
      'POST',
      '/v1/jobs',
      {
        host: `127.0.0.1:${port}`,
        origin: 'https://tool.example',
        'content-type': 'application/json',
        authorization: `Bearer ${TOKEN}`,
      },
      json,
    );
    expect(withKey.status).toBe(202);
  });

  it('with server.allowed_hosts, refuses other Hosts even with a valid key', async () => {
    const listed = await startTestService(
      { server: { allowed_hosts: ['video.example.com'] }, security: { auth_token: TOKEN } },
      { worker: false },
    );
    try {
      const auth = { authorization: `Bearer ${TOKEN}` };
      expect((await send(listed.url, 'GET', '/v1/jobs', { host: 'video.example.com', ...auth })).status).toBe(200);
      expect((await send(listed.url, 'GET', '/v1/jobs', { host: '127.0.0.1', ...auth })).status).toBe(200);
      const other = await send(listed.url, 'GET', '/v1/jobs', { host: 'attacker.example', ...auth });
      expect(other.status).toBe(421);
      expect((await send(listed.url, 'GET', '/healthz', { host: 'attacker.example' })).status).toBe(421);
    } finally {
      await listed.close();
    }
  });
});

describe('server.allowed_hosts', () => {
  it('takes host names and IP addresses, and names the key for anything else', () => {
    expect(
      configSchema.safeParse({
        server: { allowed_hosts: ['ttv.internal', 'my-box', '10.0.0.5', '[fd00::1]', 'fd00::2'] },
      }).success,
    ).toBe(true);
    for (const bad of [
      'http://ttv.internal',
      'ttv.internal:8000',
      '*.example.com',
      'a/b',
      '',
      'bad_name.example',
      '[10.0.0.1]',
    ]) {
      const result = configSchema.safeParse({ server: { allowed_hosts: [bad] } });
      expect(result.success, bad).toBe(false);
      expect(result.error!.issues[0]!.path.join('.'), bad).toBe('server.allowed_hosts.0');
    }
  });
});
