// Keys across API processes for real: a private redis-server and two `ttv serve --no-worker`
// processes sharing it. A key revoked with `ttv keys revoke` is refused by the other process within
// a second; a key revoked through one process's admin API ends its event streams on the other; the
// last admin key is kept (no token configured); a key's rate limit is one budget across both
// processes; ownership holds on either.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTtv, type TtvProcess } from '../support/ttv-process.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { createKey, revokeKey } from '../support/api-keys.js';
import { readSse } from '../support/sse.js';

let redis: RedisServer;
let dir: string;
let configFile: string;
let apis: TtvProcess[] = [];
const store = () => ['--config', configFile];

beforeAll(async () => {
  redis = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), 'ttv-access-'));
  configFile = join(dir, 'ttv.yaml');
  await writeFile(
    configFile,
    [
      `redis: { url: "${redis.url}", key_prefix: "ttv-access-${randomUUID().slice(0, 8)}" }`,
      'security: { require_api_key: true }',
      `data_dir: "${dir}"`,
      '',
    ].join('\n'),
  );
  apis = await Promise.all([0, 1].map(() => startTtv(['serve', '--no-worker', '--port', '0', '--config', configFile])));
});
afterAll(async () => {
  await Promise.all(apis.map((p) => p.kill()));
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Resolves once more than the 1 s cache lifetime has passed since `since`. */
const pastCacheLifetime = (since: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, since + 1100 - Date.now())));

const get = (url: string, secret: string) =>
  fetch(`${url}/v1/jobs`, { headers: { authorization: `Bearer ${secret}` } });

describe('API keys across two API processes on one Redis', () => {
  it('requires a key on both processes, and keeps jobs to their owner on either', async () => {
    const [a, b] = apis as [TtvProcess, TtvProcess];
    expect((await fetch(`${a.url}/v1/jobs`)).status).toBe(401);
    const dora = await createKey(store(), 'dora');
    const eve = await createKey(store(), 'eve');
    const res = await fetch(`${a.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${dora.secret}` },
      body: JSON.stringify({ prompt: "Dora's job. A windmill." }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    expect(
      (await fetch(`${b.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${dora.secret}` } })).status,
    ).toBe(200);
    expect((await fetch(`${b.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${eve.secret}` } })).status).toBe(
      404,
    );
  });

  it('refuses a key revoked through the CLI on the other process within a second', async () => {
    const [a, b] = apis as [TtvProcess, TtvProcess];
    const frank = await createKey(store(), 'frank');
    expect((await get(a.url, frank.secret)).status).toBe(200);
    expect((await get(b.url, frank.secret)).status).toBe(200);
    await revokeKey(store(), frank.id);
    // A key lookup is cached for at most 1 s, so any request sent once that second has passed must be
    // refused, however slow the machine is (waiting for the TTL is the behaviour under test).
    await pastCacheLifetime(Date.now());
    expect((await get(b.url, frank.secret)).status).toBe(401);
    expect((await get(a.url, frank.secret)).status).toBe(401);
    expect(b.output()).toContain('"component":"audit"');
    expect(b.output()).not.toContain(frank.secret);
  });

  it("ends the event streams of a key revoked through the other process's admin API, and keeps the last admin key", async () => {
    const [a, b] = apis as [TtvProcess, TtvProcess];
    const root = await createKey(store(), 'root', ['--scope', 'admin']);
    const jill = await createKey(store(), 'jill');
    const auth = (secret: string) => ({ authorization: `Bearer ${secret}` });
    const created = await fetch(`${a.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth(jill.secret) },
      body: JSON.stringify({ prompt: 'Jill watches this. A lighthouse.' }),
    });
    const { id } = (await created.json()) as { id: string };
    // No worker runs it: the stream on B stays open until something ends it.
    let opened!: () => void;
    const first = new Promise<void>((resolve) => {
      opened = resolve;
    });
    const stream = readSse(`${b.url}/v1/jobs/${id}/events`, {
      headers: auth(jill.secret),
      stop: (events) => {
        if (events.length) opened();
        return false;
      },
    });
    await Promise.race([first, stream]); // a stream refused outright ends without a first event
    expect(created.status).toBe(202);
    const revoked = await fetch(`${a.url}/v1/keys/${jill.id}/revoke`, { method: 'POST', headers: auth(root.secret) });
    expect(revoked.status).toBe(200);
    const read = await stream;
    expect(read.status).toBe(200);
    expect(read.ended).toBe(true);
    expect(read.events.at(-1)?.event).toBe('revoked');
    expect(read.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data).status)).toEqual(['queued']);
    // No security.auth_token here: root is the last active admin key, so B refuses to revoke it.
    const last = await fetch(`${b.url}/v1/keys/${root.id}/revoke`, { method: 'POST', headers: auth(root.secret) });
    expect(last.status).toBe(409);
    expect(await last.json()).toMatchObject({ error: 'Conflict', details: { reason: 'last_admin' } });
  });

  it('answers 404 on the other process soon after a job is deleted through one', async () => {
    const [a, b] = apis as [TtvProcess, TtvProcess];
    const ivy = await createKey(store(), 'ivy');
    const auth = { authorization: `Bearer ${ivy.secret}` };
    const created = await fetch(`${a.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ prompt: 'A job to delete.' }),
    });
    const { id } = (await created.json()) as { id: string };
    expect((await fetch(`${a.url}/v1/jobs/${id}/cancel`, { method: 'POST', headers: auth })).status).toBe(200);
    // Process B reads the terminal record (and keeps it in its terminal-record cache).
    expect(
      ((await (await fetch(`${b.url}/v1/jobs/${id}`, { headers: auth })).json()) as { status: string }).status,
    ).toBe('canceled');
    expect((await fetch(`${a.url}/v1/jobs/${id}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await fetch(`${a.url}/v1/jobs/${id}`, { headers: auth })).status).toBe(404);
    // Terminal-record cache entries live at most 1 s: a read sent after that must miss the cache.
    await pastCacheLifetime(Date.now());
    expect((await fetch(`${b.url}/v1/jobs/${id}`, { headers: auth })).status).toBe(404);
  });

  it("holds a key's own rate limit across both processes (counters in Redis)", async () => {
    const [a, b] = apis as [TtvProcess, TtvProcess];
    const gina = await createKey(store(), 'gina', ['--rate-limit', '6']);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      const res = await get(i % 2 === 0 ? a.url : b.url, gina.secret);
      statuses.push(res.status);
      if (i === 0) expect(res.headers.get('x-ratelimit-limit')).toBe('6');
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(await res.json()).toMatchObject({ error: 'RateLimitExceeded', retryable: true });
      }
    }
    // Six reads in the window across both processes, then refusals on either.
    expect(statuses.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(statuses.slice(6)).toEqual([429, 429, 429, 429]);
    // Another key is not affected by Gina's budget.
    const hank = await createKey(store(), 'hank');
    expect((await get(a.url, hank.secret)).status).toBe(200);
  });
});
