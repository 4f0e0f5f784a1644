// Failed authentication is limited per client address: past security.auth_failures_per_minute wrong
// keys, every key from that address (the right one too) gets 429 with Retry-After until the minute
// ends, while other addresses are served. A missing header and a successful authentication are not
// counted; X-Forwarded-For counts only from trusted proxies; with Redis the count is shared by API processes.
import { request as httpRequest } from 'node:http';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../support/test-service.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';

const TOKEN = 'auth-failure-limit-token-01';
const LIMIT = 3;

interface Answer {
  status: number;
  retryAfter: string | undefined;
  body: Record<string, unknown>;
}

/** GET /v1/jobs from a chosen loopback source address (Linux routes all of 127/8 to lo). */
function getJobs(
  url: string,
  options: { token?: string; from?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const { hostname, port } = new URL(url);
  const headers = {
    ...(options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {}),
    ...options.headers,
  };
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: hostname, port, path: '/v1/jobs', headers, localAddress: options.from ?? '127.0.0.1', agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: res.headers['retry-after'],
            body: JSON.parse(text) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function statuses(url: string, count: number, options: Parameters<typeof getJobs>[1]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i += 1) out.push((await getJobs(url, options)).status);
  return out;
}

describe('failed authentication per address', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(
      { security: { auth_token: TOKEN, auth_failures_per_minute: LIMIT } },
      { worker: false },
    );
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('answers 401 up to the limit, then 429 with Retry-After for every key from that address, the right one too', async () => {
    const from = '127.0.0.2';
    // Successes and missing headers are not counted.
    expect(await statuses(svc.url, 5, { token: TOKEN, from })).toEqual([200, 200, 200, 200, 200]);
    expect(await statuses(svc.url, 5, { from })).toEqual([401, 401, 401, 401, 401]);
    expect(await statuses(svc.url, LIMIT, { token: 'wrong-key-000000000000', from })).toEqual([401, 401, 401]);
    const refused = await getJobs(svc.url, { token: 'wrong-key-000000000001', from });
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(60);
    expect(refused.body).toMatchObject({
      error: 'RateLimitExceeded',
      retryable: true,
      details: { limit: LIMIT, window_seconds: 60, reason: 'authentication_failures' },
    });
    // A right guess now looks like a wrong one.
    expect((await getJobs(svc.url, { token: TOKEN, from })).status).toBe(429);
    // No key at all: still the plain 401.
    expect((await getJobs(svc.url, { from })).status).toBe(401);
  });

  it('does not lock out other addresses', async () => {
    expect((await getJobs(svc.url, { token: TOKEN, from: '127.0.0.3' })).status).toBe(200);
    expect((await getJobs(svc.url, { token: 'wrong-key-000000000002', from: '127.0.0.3' })).status).toBe(401);
  });

  it('ignores X-Forwarded-For from an address that is not a trusted proxy', async () => {
    const from = '127.0.0.4';
    const codes: number[] = [];
    for (let i = 0; i <= LIMIT; i += 1)
      codes.push(
        (
          await getJobs(svc.url, {
            token: 'wrong-key-000000000003',
            from,
            headers: { 'x-forwarded-for': `203.0.113.${i}` },
          })
        ).status,
      );
    expect(codes).toEqual([401, 401, 401, 429]);
  });
});

describe('behind a trusted proxy', () => {
  it('counts the forwarded client address', async () => {
    const svc = await startTestService(
      { security: { auth_token: TOKEN, auth_failures_per_minute: LIMIT, trusted_proxies: ['127.0.0.1'] } },
      { worker: false },
    );
    try {
      const client = (ip: string) => ({ from: '127.0.0.1', headers: { 'x-forwarded-for': ip } });
      expect(await statuses(svc.url, LIMIT + 1, { token: 'wrong-key-000000000004', ...client('203.0.113.7') })).toEqual(
        [401, 401, 401, 429],
      );
      expect((await getJobs(svc.url, { token: TOKEN, ...client('203.0.113.7') })).status).toBe(429);
      expect((await getJobs(svc.url, { token: TOKEN, ...client('203.0.113.8') })).status).toBe(200);
      // One IPv6 host holds its whole /64: another address in it is the same client.
      expect(
        await statuses(svc.url, LIMIT + 1, { token: 'wrong-key-000000000005', ...client('2001:db8:1:2::10') }),
      ).toEqual([401, 401, 401, 429]);
      expect((await getJobs(svc.url, { token: TOKEN, ...client('2001:db8:1:2:ffff::1') })).status).toBe(429);
      expect((await getJobs(svc.url, { token: TOKEN, ...client('2001:db8:1:3::10') })).status).toBe(200);
    } finally {
      await svc.close();
    }
  });
});

describe('with Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('shares the count between API processes', async () => {
    const shared = {
      redis: { url: redis.url, key_prefix: `authfail-${randomUUID().slice(0, 8)}` },
      security: { auth_token: TOKEN, auth_failures_per_minute: LIMIT },
    };
    const first = await startTestService(shared, { worker: false });
    const second = await startTestService(shared, { worker: false });
    try {
      const from = '127.0.0.5';
      expect(await statuses(first.url, 2, { token: 'wrong-key-000000000006', from })).toEqual([401, 401]);
      expect(await statuses(second.url, 2, { token: 'wrong-key-000000000007', from })).toEqual([401, 429]);
      expect((await getJobs(second.url, { token: TOKEN, from })).status).toBe(429);
      expect((await getJobs(first.url, { token: 'wrong-key-000000000008', from })).status).toBe(429);
      expect((await getJobs(first.url, { token: TOKEN, from })).status).toBe(429);
      expect((await getJobs(second.url, { token: TOKEN, from: '127.0.0.6' })).status).toBe(200);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
