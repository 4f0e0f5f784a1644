// The security baseline: rate limits, CORS, and no secret or signature in any log line of a job.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { collectSecrets } from '../../../src/logging/redact.js';
import { configSchema } from '../../../src/config/schema.js';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { waitFor } from '../../support/wait-for.js';

describe('rate limits', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(
      { security: { rate_limit_per_minute: 3, read_rate_limit_per_minute: 5, auth_token: 'rate-limit-token-000000' } },
      { worker: false },
    );
  });
  afterAll(async () => {
    await svc?.close();
  });
  const auth = (token = 'rate-limit-token-000000') => ({ authorization: `Bearer ${token}` });

  it('limits submissions per token with 429, Retry-After and X-RateLimit headers', async () => {
    const codes: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 4; i += 1) {
      last = await postJob(svc.url, { prompt: `limited ${i}` }, auth());
      codes.push(last.status);
      if (i === 0) {
        expect(last.headers.get('x-ratelimit-limit')).toBe('3');
        expect(last.headers.get('x-ratelimit-remaining')).toBe('2');
        expect(Number(last.headers.get('x-ratelimit-reset'))).toBeGreaterThan(0);
      }
    }
    expect(codes).toEqual([202, 202, 202, 429]);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await last!.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'RateLimitExceeded', retryable: true, details: { limit: 3 } });
    expect(body.request_id).toBe(last!.headers.get('x-request-id'));
  });

  it('keeps a separate, larger budget for reads, and exempts health and metrics', async () => {
    // Submissions are exhausted above; reads still work.
    expect((await fetch(`${svc.url}/v1/jobs`, { headers: auth() })).status).toBe(200);
    for (let i = 0; i < 10; i += 1) expect((await fetch(`${svc.url}/healthz`)).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await fetch(`${svc.url}/v1/jobs`, { headers: auth() })).status);
    expect(statuses.slice(0, 4).every((s) => s === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect((await fetch(`${svc.url}/metrics`)).status).toBe(200);
    expect((await fetch(`${svc.url}/readyz`)).status).not.toBe(429);
  });

  it('counts each token on its own, and a bad token is still refused with 401', async () => {
    expect((await fetch(`${svc.url}/v1/jobs`, { headers: auth('another-token-that-is-wrong') })).status).toBe(401);
  });
});

describe('rate-limit budgets', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(
      { security: { rate_limit_per_minute: 2, read_rate_limit_per_minute: 3 } },
      { worker: false },
    );
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('counts every read route of a client against one budget, and leaves 404s, 405s and ops routes out', async () => {
    const reads = [`${svc.url}/v1/jobs`, `${svc.url}/v1/models`, `${svc.url}/v1/capabilities`];
    const remaining: (string | null)[] = [];
    for (const url of reads) {
      const res = await fetch(url);
      expect(res.status).toBe(200);
      remaining.push(res.headers.get('x-ratelimit-remaining'));
      // Not counted: no route (404), a known path's other method (405), health.
      expect((await fetch(`${svc.url}/v1/no-such-route`)).status).toBe(404);
      expect((await fetch(`${svc.url}/v1/models`, { method: 'DELETE' })).status).toBe(405);
      expect((await fetch(`${svc.url}/healthz`)).headers.get('x-ratelimit-limit')).toBeNull();
    }
    expect(remaining).toEqual(['2', '1', '0']);
    const refused = await fetch(`${svc.url}/v1/jobs/0f4f83a6-2efc-4ae9-921a-118f1062ab91`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // The submission budget is its own.
    expect((await postJob(svc.url, { prompt: 'still allowed' })).status).toBe(202);
  });
});

describe('CORS', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ security: { cors_origins: ['https://app.example.com'] } }, { worker: false });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('answers a preflight from an allowed origin with 204 and the allowed methods and headers', async () => {
    const res = await fetch(`${svc.url}/v1/jobs`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    const simple = await fetch(`${svc.url}/v1/jobs`, { headers: { origin: 'https://app.example.com' } });
    expect(simple.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(simple.headers.get('access-control-expose-headers')).toMatch(/x-request-id/i);
  });

  it('gives another origin no CORS grant', async () => {
    const res = await fetch(`${svc.url}/v1/jobs`, { headers: { origin: 'https://evil.example.net' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${svc.url}/v1/jobs`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example.net', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('is off by default: no CORS headers, OPTIONS is a 405 with Allow', async () => {
    const plain = await startTestService({}, { worker: false });
    try {
      const res = await fetch(`${plain.url}/v1/jobs`, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      expect(res.status).toBe(405);
    } finally {
      await plain.close();
    }
  });
});

describe('secrets in logs', () => {
  it('a full job with a secret-bearing config and a signed download leaves no secret or signature in any log line', async () => {
    const secrets = {
      openai_api_key: 'sk-live-SECRET-openai-0123456789',
      runway_ml: { api_key: 'rw-SECRET-runway-abcdefgh' },
      security: { auth_token: 'SECRET-bearer-token-987654321' },
      storage: { local: { signing_secret: 'SECRET-local-signing-key-1234' } },
    };
    let output = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        output += chunk.toString();
        done();
      },
    });
    const logger = createLogger({
      level: 'trace',
      secrets: collectSecrets(configSchema.parse(secrets)),
      destination: sink,
    });
    const svc = await startTestService(secrets, { logger });
    try {
      const headers = { authorization: 'Bearer SECRET-bearer-token-987654321' };
      const { id } = (await (await postJob(svc.url, { prompt: 'A secret-free log.' }, headers)).json()) as {
        id: string;
      };
      await waitFor(async () =>
        ((await (await fetch(`${svc.url}/v1/jobs/${id}`, { headers })).json()) as { status: string }).status ===
        'finished'
          ? true
          : null,
      );
      const { url } = (await (await fetch(`${svc.url}/v1/jobs/${id}/artifact`, { headers })).json()) as { url: string };
      const signature = new URL(url).searchParams.get('signature')!;
      expect((await fetch(url)).status).toBe(200);
      await fetch(`${svc.url}/v1/jobs/${id}`, { headers: { authorization: 'Bearer wrong-SECRET-guess' } });
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      expect(output).toContain('"url":"/files/');
      for (const secret of [
        'sk-live-SECRET-openai-0123456789',
        'rw-SECRET-runway-abcdefgh',
        'SECRET-bearer-token-987654321',
        'SECRET-local-signing-key-1234',
        signature,
      ]) {
        expect(output).not.toContain(secret);
      }
      expect(output).toMatch(/signature=\[REDACTED\]/);
    } finally {
      await svc.close();
    }
  });
});
