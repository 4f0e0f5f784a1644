// Hostile input: 10,000 generated requests (seeded, so a failure replays) against every route —
// malformed JSON, wrong types, huge and deeply nested bodies, invalid UTF-8, control characters,
// odd headers, path traversal in ids, bogus tokens, oversized tail/limit/expires_in — plus raw
// malformed HTTP. No 5xx, no crash, bounded memory, every error in the documented envelope.
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';

const TOKEN = 'fuzz-token-0123456789abcdef';
const TOTAL = 10_000;
let svc: TestService;
let port: number;
let knownId: string;
let finishedLikeId: string;

/** mulberry32: a small seeded PRNG, so that a failing case can be replayed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Sent {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

function makeCase(rand: () => number): Sent {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const junk = () =>
    pick([
      '',
      '-1',
      '0',
      '1.5',
      '1e10',
      'abc',
      '99999999999999999999',
      '%00',
      '../../etc/passwd',
      '\u202e',
      'NaN',
      'true',
      ' '.repeat(3),
      'x'.repeat(500),
    ]);
  const id = pick([
    knownId,
    finishedLikeId,
    '00000000-0000-4000-8000-000000000000',
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e',
    'x'.repeat(600),
    '%00',
    '%E2%80%AE',
    'DROP%20TABLE',
    '123',
    encodeURIComponent('\u0000\u0001'),
  ]);
  const path = pick([
    '/v1/jobs',
    `/v1/jobs?limit=${encodeURIComponent(junk())}&status=${encodeURIComponent(junk())}&cursor=${encodeURIComponent(junk())}`,
    `/v1/jobs/${id}`,
    `/v1/jobs/${id}/cancel`,
    `/v1/jobs/${id}/logs?tail=${encodeURIComponent(junk())}`,
    `/v1/jobs/${id}/artifact?expires_in=${encodeURIComponent(junk())}&redirect=${encodeURIComponent(junk())}`,
    '/healthz',
    '/readyz',
    '/metrics',
    '/metrics/prometheus',
    '/openapi.json',
    '/',
    '/nope',
    '/v1/',
    '/v1/jobs/',
    `/files/${id}?signature=${encodeURIComponent(junk())}&expires=${encodeURIComponent(junk())}`,
    '/files/../../etc/passwd',
    '/%ff%fe',
    `/v1/jobs/${id}/events`,
  ]);
  const method = pick(['GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']);
  const headers: Record<string, string> = {};
  const auth = rand();
  if (auth < 0.6) headers.authorization = `Bearer ${TOKEN}`;
  else if (auth < 0.75)
    headers.authorization = pick([
      'Bearer ',
      'Bearer x',
      'Basic abc',
      `bearer ${TOKEN}`,
      `Bearer ${TOKEN}x`,
      'Bearer ' + 'z'.repeat(4000),
    ]);
  if (rand() < 0.7)
    headers['content-type'] = pick([
      'application/json',
      'application/json; charset=utf-8',
      'text/plain',
      'application/jsonx',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
      '',
    ]);
  if (rand() < 0.2) headers['idempotency-key'] = pick(['k', 'x'.repeat(300), 'key with spaces', '\u00e9t\u00e9']);
  // Header values stay within what an HTTP client can send (latin1, no control characters).
  if (rand() < 0.1)
    headers['last-event-id'] = pick([
      '',
      '-1',
      '0',
      '1-1',
      'abc',
      '99999999999999999999',
      '../x',
      ' '.repeat(3),
      'x'.repeat(500),
    ]);
  if (rand() < 0.1) headers['x-request-id'] = pick(['ok-id', 'x'.repeat(1000), '<script>', '']);
  if (rand() < 0.1) headers['x-forwarded-for'] = pick(['1.2.3.4', 'garbage', '::1, 10.0.0.1']);
  let body: Buffer | undefined;
  if (method !== 'GET' && method !== 'HEAD' && rand() < 0.85) {
    const kind = Math.floor(rand() * 12);
    const depth = 1 + Math.floor(rand() * 5000);
    body = [
      () => Buffer.from(JSON.stringify({ prompt: 'A valid prompt. Two sentences.' })),
      () => Buffer.from('{"prompt": '),
      () => Buffer.from(JSON.stringify({ prompt: 42 })),
      () => Buffer.from(JSON.stringify({ prompt: 'x'.repeat(2001) })),
      () => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`),
      () => Buffer.from(`{"a":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`),
      () => Buffer.from([0x7b, 0x22, 0x70, 0x72, 0x6f, 0x6d, 0x70, 0x74, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]),
      () => Buffer.from(JSON.stringify({ prompt: 'bell\u0007and\u001bescape' })),
      () =>
        Buffer.from(
          JSON.stringify({ prompt: 'ok', __proto__: { admin: true }, constructor: { prototype: {} } }).replace(
            '"prompt"',
            '"__proto__":{"x":1},"prompt"',
          ),
        ),
      () => Buffer.alloc(Math.floor(rand() * 200_000), 0x61),
      () => Buffer.from(JSON.stringify({ prompt: 'ok', extra: [1, 2, 3] })),
      () => Buffer.from(''),
    ][kind]!();
  }
  return { method, path, headers, body };
}

function send(c: Sent): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = { ...c.headers, ...(c.body ? { 'content-length': String(c.body.length) } : {}) };
    const req = request({ host: '127.0.0.1', port, method: c.method, path: c.path, headers }, (res) => {
      if (String(res.headers['content-type']).startsWith('text/event-stream')) {
        res.destroy();
        return resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (body.length < 100_000) body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${c.method} ${c.path}`)));
    req.on('error', reject);
    req.end(c.body);
  });
}

function rawRequest(text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let out = '';
    socket.on('data', (d) => {
      out += d.toString();
    });
    socket.on('close', () => resolve(out));
    socket.on('error', () => resolve(out));
    socket.setTimeout(5000, () => socket.destroy());
  });
}

beforeAll(async () => {
  svc = await startTestService(
    { security: { auth_token: TOKEN, rate_limit_per_minute: 1_000_000, read_rate_limit_per_minute: 1_000_000 } },
    { worker: false },
  );
  port = Number(new URL(svc.url).port);
  knownId = (
    (await (await postJob(svc.url, { prompt: 'Known job.' }, { authorization: `Bearer ${TOKEN}` })).json()) as {
      id: string;
    }
  ).id;
  finishedLikeId = (
    (await (await postJob(svc.url, { prompt: 'Canceled job.' }, { authorization: `Bearer ${TOKEN}` })).json()) as {
      id: string;
    }
  ).id;
  await fetch(`${svc.url}/v1/jobs/${finishedLikeId}/cancel`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}` },
  });
});
afterAll(async () => {
  await svc?.close();
});

describe('fuzz', () => {
  it(`answers ${TOTAL} generated hostile requests without a 5xx, in the error envelope, with bounded memory`, async () => {
    const rand = prng(20261124);
    const cases = Array.from({ length: TOTAL }, () => makeCase(rand));
    const rssBefore = process.memoryUsage().rss;
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const lane = async () => {
      while (next < cases.length) {
        const index = next++;
        const c = cases[index]!;
        let res;
        try {
          res = await send(c);
        } catch (err) {
          problems.push(`#${index} ${c.method} ${c.path.slice(0, 80)}: ${(err as Error).message}`);
          continue;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        // /readyz answers 503 by design here (no worker runs) with its own body.
        if (c.path === '/readyz') continue;
        if (res.status >= 500)
          problems.push(`#${index} ${c.method} ${c.path.slice(0, 80)} → ${res.status} ${res.body.slice(0, 200)}`);
        if (res.status >= 400 && c.method !== 'HEAD') {
          try {
            const body = JSON.parse(res.body) as Record<string, unknown>;
            const keys = Object.keys(body).sort().join(',');
            if (keys !== 'details,error,message,request_id,retryable,timestamp')
              problems.push(`#${index} ${c.method} ${c.path.slice(0, 80)} → ${res.status} keys ${keys}`);
            if (body.request_id !== res.headers['x-request-id']) problems.push(`#${index} request_id mismatch`);
          } catch {
            problems.push(
              `#${index} ${c.method} ${c.path.slice(0, 80)} → ${res.status} non-JSON error body: ${res.body.slice(0, 100)}`,
            );
          }
        }
        if (!res.headers['x-content-type-options'])
          problems.push(`#${index} ${c.method} ${c.path.slice(0, 80)} → ${res.status} without security headers`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, lane));
    expect(problems.slice(0, 20)).toEqual([]);
    const rssGrowthMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
    expect(rssGrowthMb).toBeLessThan(300);
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    expect(statuses.get(400)).toBeGreaterThan(100);
    expect(statuses.get(401)).toBeGreaterThan(100);
  });

  it('answers malformed HTTP with a 4xx in the envelope and keeps serving', async () => {
    for (const raw of [
      'GET /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello',
      'GET / HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'a'.repeat(70_000) + '\r\n\r\n',
      'POST /v1/jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      'GARBAGE\r\n\r\n',
      'GET /v1/jobs HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\n\r\n',
    ]) {
      const answer = await rawRequest(raw);
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(500);
      const body = answer.slice(answer.indexOf('\r\n\r\n') + 4);
      expect(JSON.parse(body)).toMatchObject({
        error: expect.any(String),
        message: expect.any(String),
        retryable: false,
      });
    }
    expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
  });
});
