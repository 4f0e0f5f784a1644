// Access follows the matched route, whatever spelling of the path reaches the server: a corpus of
// encodings thrown at every route over raw sockets (nothing normalises on the client side), on
// every job-store adapter. Without a token, no protected route may answer anything but 400, 401,
// 404 or 405, and no answer may carry job data.
import { connect } from 'node:net';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from '../../support/postgres.js';
import { apiRoutes, PATH_VARIANTS, PROBE_METHODS, REFUSALS } from '../../support/path-corpus.js';

const TOKEN = 'corpus-token-0123456789abcdef';
const SECRET_PROMPT = `Secret prompt ${randomUUID()}.`;

interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/** One request on its own connection, written byte for byte as given. */
function rawRequest(port: number, method: string, target: string, body?: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const extra =
      body === undefined ? '' : `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`;
    socket.on('connect', () =>
      socket.write(
        `${method} ${target} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nconnection: close\r\n${extra}\r\n${body ?? ''}`,
      ),
    );
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // An event stream would never end: the head is enough to judge it.
      if (Buffer.concat(chunks).includes('text/event-stream')) socket.destroy();
    });
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      const split = text.indexOf('\r\n\r\n');
      resolve({
        status,
        head: split === -1 ? text : text.slice(0, split),
        body: split === -1 ? '' : text.slice(split + 4),
      });
    });
    socket.on('error', reject);
    socket.setTimeout(10_000, () => socket.destroy(new Error(`timeout: ${method} ${target}`)));
  });
}

async function inBatches<T>(items: T[], size: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

const adapters = ['sqlite', 'redis', 'postgres'] as const;

describe.each(adapters)('path-encoding corpus (%s job store)', (adapter) => {
  let redis: RedisServer | null = null;
  let schema: TestSchema | null = null;
  let svc: TestService;
  let port: number;
  let jobId: string;

  beforeAll(async () => {
    if (adapter === 'redis') redis = await startRedisServer();
    if (adapter === 'postgres') {
      await assertPostgresReachable();
      schema = testPostgresConfig();
    }
    svc = await startTestService(
      {
        security: { auth_token: TOKEN, rate_limit_per_minute: 1_000_000, read_rate_limit_per_minute: 1_000_000 },
        ...(redis ? { redis: { url: redis.url, key_prefix: `corpus-${randomUUID().slice(0, 8)}` } } : {}),
        ...(schema ? { postgres: schema.config } : {}),
      },
      { worker: false },
    );
    port = Number(new URL(svc.url).port);
    const created = await postJob(svc.url, { prompt: SECRET_PROMPT }, { authorization: `Bearer ${TOKEN}` });
    expect(created.status).toBe(202);
    jobId = ((await created.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await svc?.close();
    await redis?.stop();
    await schema?.drop();
  });

  it('refuses every spelling of every route without a token: only 400, 401, 404 or 405, never job data', async () => {
    const cases = apiRoutes(jobId).flatMap((route) =>
      PATH_VARIANTS.flatMap((variant) => PROBE_METHODS.map((method) => ({ route, variant, method }))),
    );
    const failures: string[] = [];
    const seen = new Map<number, number>();
    await inBatches(cases, 16, async ({ route, variant, method }) => {
      const target = variant.target(route.path);
      const body =
        method === 'POST' || method === 'PUT' || method === 'PATCH'
          ? JSON.stringify({ prompt: 'Sneaked in.' })
          : undefined;
      const answer = await rawRequest(port, method, target, body);
      seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
      const leaked =
        answer.body.includes(SECRET_PROMPT) ||
        (route.protected && (answer.body.includes('"jobs"') || /"status":"(queued|canceled)"/.test(answer.body)));
      // An open route answers its own canonical path (a query string changes nothing); any other spelling is refused.
      const mustRefuse = route.protected || target.split('?', 1)[0] !== route.path;
      if (leaked) failures.push(`${method} ${target} leaked job data (${answer.status})`);
      else if (mustRefuse && !REFUSALS.has(answer.status))
        failures.push(`${method} ${target} answered ${answer.status} (${variant.name})`);
      // Every answer is the server's own (envelope or stream), not a dropped connection.
      else if (answer.status === 0) failures.push(`${method} ${target}: no HTTP answer`);
    });
    expect(failures).toEqual([]);
    expect(seen.get(401)).toBeGreaterThan(0);
    expect(seen.get(400)).toBeGreaterThan(0);
  });

  it('answers the canonical path of every protected route 401 without a token, and serves it with one', async () => {
    for (const route of apiRoutes(jobId).filter((r) => r.protected)) {
      const method = route.path.endsWith('/cancel') ? 'POST' : 'GET';
      const refused = await rawRequest(port, method, route.path, method === 'POST' ? '{}' : undefined);
      expect(refused.status, route.path).toBe(401);
      expect(refused.head.toLowerCase()).toContain('www-authenticate: bearer');
    }
    const listed = await fetch(`${svc.url}/v1/jobs`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(listed.status).toBe(200);
    expect(await listed.text()).toContain(SECRET_PROMPT);
  });

  it('refuses the known walk-arounds with a 400 in the error envelope, even with a valid token', async () => {
    for (const target of [
      '/%761/jobs',
      `http://x/v1/jobs`,
      '/v1/jobs/',
      '//v1/jobs',
      '/v1/./jobs',
      '/v1;a/jobs',
      '/v1%2Fjobs',
      '/v1%C0%AFjobs',
    ]) {
      const answer = await rawRequest(port, 'GET', target);
      expect(answer.status, target).toBe(400);
      const envelope = JSON.parse(answer.body) as Record<string, unknown>;
      // Refused by our canonical-path rule, or (invalid UTF-8) already by the router's decoder: both before any route.
      expect(envelope).toMatchObject({ error: 'ValidationError', details: { field: 'url' }, retryable: false });
      expect(answer.head.toLowerCase()).toContain(`x-request-id: ${String(envelope.request_id).toLowerCase()}`);
      const withToken = await fetch(`http://127.0.0.1:${port}${target.startsWith('http') ? '/v1/jobs' : ''}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(withToken.status).not.toBe(500);
    }
    // The submission walk-around of the issue: no job is created through an encoded path.
    const before = (
      (await (
        await fetch(`${svc.url}/v1/jobs?limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json()) as { jobs: unknown[] }
    ).jobs.length;
    expect((await rawRequest(port, 'POST', '/%761/jobs', JSON.stringify({ prompt: 'x' }))).status).toBe(400);
    const after = (
      (await (
        await fetch(`${svc.url}/v1/jobs?limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).json()) as { jobs: unknown[] }
    ).jobs.length;
    expect(after).toBe(before);
  });

  it('decides headers by the matched route: no-store on the job API, the page policy on the page', async () => {
    const refused = await rawRequest(port, 'GET', '/v1/jobs');
    expect(refused.head.toLowerCase()).toContain('cache-control: no-cache, no-store, must-revalidate');
    const page = await fetch(`${svc.url}/`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('cache-control')).not.toBe('no-store');
    const health = await fetch(`${svc.url}/healthz`);
    expect(health.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(health.headers.get('x-ratelimit-limit')).toBeNull();
  });
});
