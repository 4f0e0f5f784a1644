// Where ttv meets or departs from the Python server's answers, one test per line of the "HTTP
// answers" section of docs/compatibility.md: /readyz names the version, every /v1 answer (errors and
// the event stream included) forbids caching the way it did, and the rest below.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { VERSION } from '../../../src/version.js';

const TOKEN = 'upstream-compat-token-0123456789';
let svc: TestService;
let guarded: TestService;
beforeAll(async () => {
  svc = await startTestService({}, { worker: false });
  guarded = await startTestService({ security: { auth_token: TOKEN } }, { worker: false });
});
afterAll(async () => {
  await svc?.close();
  await guarded?.close();
});

async function expectEnvelope(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['details', 'error', 'message', 'request_id', 'retryable', 'timestamp']);
  expect(body.error).toBe(code);
  expect(body.request_id).toBe(res.headers.get('x-request-id'));
}

/** One raw HTTP/1.1 request (fetch cannot send a request line past the parser's limit and read the answer). */
function rawGet(url: string, target: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () =>
      socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`),
    );
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('Python-compatible answers', () => {
  it('/readyz carries the version, ready or not', async () => {
    const res = await fetch(`${svc.url}/readyz`);
    expect(res.status).toBe(503); // no worker in this service
    expect(((await res.json()) as { version: string }).version).toBe(VERSION);
  });

  it('every /v1 answer carries Cache-Control: no-cache, no-store, must-revalidate and Expires: 0', async () => {
    const job = (await (await postJob(svc.url, { prompt: 'no caching' })).json()) as { id: string };
    const controller = new AbortController();
    const answers = [
      await postJob(svc.url, { prompt: 'again' }),
      await fetch(`${svc.url}/v1/jobs`),
      await fetch(`${svc.url}/v1/jobs/${job.id}`),
      await fetch(`${svc.url}/v1/jobs/00000000-0000-4000-8000-000000000000`),
      await fetch(`${svc.url}/v1/jobs?limit=0`),
      // HEAD: the stream's headers without an endless body.
      await fetch(`${svc.url}/v1/jobs/${job.id}/events`, { method: 'HEAD', signal: controller.signal }),
    ];
    for (const res of answers) {
      expect(res.headers.get('cache-control'), res.url).toBe('no-cache, no-store, must-revalidate');
      expect(res.headers.get('expires'), res.url).toBe('0');
      expect(res.headers.get('pragma'), res.url).toBe('no-cache');
      if (res.headers.get('content-type')?.startsWith('text/event-stream')) await res.body?.cancel();
      else await res.arrayBuffer();
    }
    controller.abort();
    // Outside /v1 the health answers are not marked so.
    expect((await fetch(`${svc.url}/healthz`)).headers.get('expires')).toBeNull();
  });

  it('X-XSS-Protection: 0 on route answers, errors and answers written on the socket', async () => {
    for (const res of [
      await fetch(`${svc.url}/healthz`),
      await fetch(`${svc.url}/v1/jobs`),
      await fetch(`${svc.url}/no-such-path`),
    ]) {
      expect(res.headers.get('x-xss-protection'), res.url).toBe('0');
      await res.arrayBuffer();
    }
    const refused = await rawGet(svc.url, `/v1/jobs/${'x'.repeat(20_000)}`);
    expect(refused).toMatch(/^HTTP\/1\.1 431 /);
    expect(refused).toMatch(/\r\nx-xss-protection: 0\r\n/i);
  });

  it("/readyz names ttv's components, not the Python server's redis and gcs", async () => {
    const res = await fetch(`${svc.url}/readyz`);
    const body = (await res.json()) as { status: string; components: Record<string, string> };
    expect(Object.keys(body.components).sort()).toEqual([
      'api',
      'artifact_store',
      'disk',
      'job_store',
      'queue',
      'workers',
    ]);
    expect(body.status).toBe(res.status === 200 ? 'ready' : 'not_ready');
  });

  it("GET / for JSON clients carries the Python server's name and description", async () => {
    const res = await fetch(`${svc.url}/`, { headers: { accept: 'application/json' } });
    expect(await res.json()).toMatchObject({
      name: 'TTV Pipeline API',
      description: 'REST API for text-to-video generation pipeline',
      docs_url: '/docs',
    });
  });

  it('refuses an unknown body field with 400 naming it (the Python server ignored it)', async () => {
    const res = await postJob(svc.url, { prompt: 'a cat', durtion: 8 });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'ValidationError', details: { field: 'durtion' } });
  });

  it('an over-long job id is 401 without a token and 404 JobNotFound with one', async () => {
    for (const length of [501, 600, 12_000]) {
      const id = 'a'.repeat(length);
      const anonymous = await fetch(`${guarded.url}/v1/jobs/${id}`);
      await expectEnvelope(anonymous, 401, 'Unauthorized');
      const owner = await fetch(`${guarded.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      await expectEnvelope(owner, 404, 'JobNotFound');
      expect(owner.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it("a request line past Node's header limit is a 431 in the error envelope with the security headers", async () => {
    const answer = await rawGet(guarded.url, `/v1/jobs/${'a'.repeat(20_000)}`);
    const [head, body] = answer.split('\r\n\r\n', 2) as [string, string];
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).toMatch(/\r\nx-content-type-options: nosniff/i);
    expect(head).toMatch(/\r\ncontent-security-policy: /i);
    expect(JSON.parse(body)).toMatchObject({ error: 'ValidationError', request_id: expect.any(String) });
  });
});
