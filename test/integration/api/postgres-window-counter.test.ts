// Rate-limit windows in PostgreSQL: counters of two API processes (two pools, two apps) share one
// client's window and limit; an ended window starts again at the next hit; ended windows of clients
// that went away are swept in bounded batches, live ones kept; with the database away a hit is
// counted in the process, as with Redis.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { buildApp } from '../../../src/api/app.js';
import { openJobQueue } from '../../../src/jobs/open-job-queue.js';
import { openArtifactStore } from '../../../src/storage/open-artifact-store.js';
import type { JobQueue } from '../../../src/jobs/job-queue.js';
import { openPostgresPool } from '../../../src/stores/postgres-pool.js';
import { migratePostgres } from '../../../src/stores/postgres-migrations.js';
import { PostgresWindowCounter } from '../../../src/api/plugins/postgres-window-counter.js';
import { WINDOW_MS } from '../../../src/api/plugins/window-counter.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from '../../support/postgres.js';

describe('PostgreSQL window counter', () => {
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(assertPostgresReachable);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function migratedSchema(pools: number): Promise<{ schema: TestSchema; pools: pg.Pool[] }> {
    const schema = testPostgresConfig();
    const opened = Array.from({ length: pools }, () => openPostgresPool(schema.config, { max: 2 }));
    cleanups.push(async () => {
      await Promise.all(opened.map((p) => p.end()));
      await schema.drop();
    });
    await migratePostgres(opened[0]!, schema.config);
    return { schema, pools: opened };
  }

  it('shares one window between two processes, and starts a new one once it has ended', async () => {
    const { pools } = await migratedSchema(2);
    const [a, b] = pools.map((pool) => new PostgresWindowCounter(pool, { prefix: 'ratelimit:' }));
    const counts: number[] = [];
    for (let i = 0; i < 6; i += 1) counts.push((await (i % 2 ? b! : a!).add('read:k:key_1', Date.now())).count);
    expect(counts).toEqual([1, 2, 3, 4, 5, 6]);
    // Another client has its own window.
    expect((await b!.add('read:k:key_2', Date.now())).count).toBe(1);
    const { resetMs } = await a!.add('read:k:key_1', Date.now());
    expect(resetMs).toBeGreaterThan(0);
    expect(resetMs).toBeLessThanOrEqual(WINDOW_MS);
    // Concurrent hits from both processes are each counted once.
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a! : b!).add('submit:ip:x', Date.now())),
    );
    expect(burst.map((c) => c.count).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    // The window ends (moved into the past rather than waited for): the next hit opens a new one.
    await pools[0]!.query(`UPDATE rate_windows SET window_end = now() - interval '1 second' WHERE client = $1`, [
      'ratelimit:read:k:key_1',
    ]);
    const fresh = await b!.add('read:k:key_1', Date.now());
    expect(fresh.count).toBe(1);
    expect(fresh.resetMs).toBeGreaterThan(WINDOW_MS - 5000);
  });

  it('sweeps ended windows in bounded batches and keeps live ones', async () => {
    const { pools } = await migratedSchema(1);
    const pool = pools[0]!;
    await pool.query(
      `INSERT INTO rate_windows (client, count, window_end)
       SELECT 'gone:' || i, 1, now() - interval '1 minute' FROM generate_series(1, 250) AS i`,
    );
    const counter = new PostgresWindowCounter(pool, { prefix: 'ratelimit:', sweepBatch: 100 });
    await counter.add('live', Date.now());
    const rows = async () =>
      (
        await pool.query<{ gone: number; live: number }>(
          `SELECT count(*) FILTER (WHERE client LIKE 'gone:%')::int AS gone,
                  count(*) FILTER (WHERE client NOT LIKE 'gone:%')::int AS live FROM rate_windows`,
        )
      ).rows[0]!;
    // The first hit started a sweep in the background; sweep() joins it or runs the next batch.
    await counter.sweep();
    expect((await rows()).gone).toBeLessThanOrEqual(150);
    while ((await counter.sweep()) > 0);
    expect(await rows()).toEqual({ gone: 0, live: 1 });
    // A batch that comes back full is followed by another (the next hit starts it), until none is left.
    await pool.query(
      `INSERT INTO rate_windows (client, count, window_end)
       SELECT 'gone:' || i, 1, now() - interval '1 minute' FROM generate_series(1, 100) AS i`,
    );
    expect(await counter.sweep()).toBe(100);
    await counter.add('live', Date.now()); // starts the next batch (nothing left but the live window)
    expect(await counter.sweep()).toBe(0);
    expect(await rows()).toEqual({ gone: 0, live: 1 });
  });

  it('counts in this process while PostgreSQL cannot be reached', async () => {
    const schema = testPostgresConfig({ url: 'postgres://postgres@127.0.0.1:1/none' });
    const pool = openPostgresPool(schema.config, { max: 1, queryTimeoutMs: 2000 });
    cleanups.push(() => pool.end());
    const counter = new PostgresWindowCounter(pool, { prefix: 'ratelimit:' });
    expect((await counter.add('c', Date.now())).count).toBe(1);
    expect((await counter.add('c', Date.now())).count).toBe(2);
  });
});

describe('rate limits shared by two API processes on PostgreSQL', () => {
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(assertPostgresReachable);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function app(schema: TestSchema): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ttv-pg-limits-'));
    const config = configSchema.parse({
      data_dir: dir,
      logging: { level: 'silent' },
      postgres: schema.config,
      security: { read_rate_limit_per_minute: 4, auth_failures_per_minute: 3, auth_token: 'pg-limits-token-00000000' },
    });
    // The job store is beside the point here: each app has a SQLite one of its own.
    const queue: JobQueue = openJobQueue({ ...config, postgres: undefined });
    const built: FastifyInstance = await buildApp({ config, queue, store: await openArtifactStore(config) });
    cleanups.push(async () => {
      await built.close();
      await queue.close();
      await rm(dir, { recursive: true, force: true });
    });
    await built.listen({ host: '127.0.0.1', port: 0 });
    return `http://127.0.0.1:${(built.server.address() as { port: number }).port}`;
  }

  it('refuses the fifth read of one client across two apps, and counts failed authentications together', async () => {
    const schema = testPostgresConfig();
    cleanups.push(() => schema.drop());
    const urls = await Promise.all([app(schema), app(schema)]);
    const auth = { authorization: 'Bearer pg-limits-token-00000000' };
    const reads: (string | null)[] = [];
    for (let i = 0; i < 4; i += 1) {
      const res = await fetch(`${urls[i % 2]}/v1/jobs`, { headers: auth });
      expect(res.status).toBe(200);
      reads.push(res.headers.get('x-ratelimit-remaining'));
    }
    expect(reads).toEqual(['3', '2', '1', '0']);
    const refused = await fetch(`${urls[0]}/v1/jobs`, { headers: auth });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    // security.auth_failures_per_minute: 3 wrong tokens, whichever app saw them, lock the client out.
    const wrong = { authorization: 'Bearer not-the-token-000000000' };
    const failures: number[] = [];
    for (let i = 0; i < 5; i += 1) failures.push((await fetch(`${urls[i % 2]}/v1/models`, { headers: wrong })).status);
    // Counted apart, neither app would reach a fourth failure.
    expect(failures).toEqual([401, 401, 401, 429, 429]);
  });
});
