// What the store conformance suites run on, written once: a fresh SQLite data dir per test (removed
// afterwards), one redis-server per test file with a fresh key prefix per test (nothing flushed,
// no test sees another's keys), or a fresh PostgreSQL schema per test (dropped afterwards).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JobQueueHarness } from '../conformance/job-queue-conformance.js';
import type { RedisServer } from './redis-server.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from './postgres.js';

type WorkerSettings = Record<string, number>;

export function sqliteHarness(prefix: string, worker: WorkerSettings): JobQueueHarness {
  const dirs: string[] = [];
  return {
    async freshConfig() {
      const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
      dirs.push(dir);
      return { data_dir: dir, worker };
    },
    async cleanup() {
      await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

/**
 * The Redis store's close() can return before its redis-stores.json write lands (a known race):
 * removing the dir then meets ENOTEMPTY, which rm retries.
 */
const RM_RACING_WRITES = { recursive: true, force: true, maxRetries: 10, retryDelay: 50 } as const;

export function redisHarness(server: () => RedisServer, prefix: string, worker: WorkerSettings): JobQueueHarness {
  // A data dir of its own too: the Redis store writes redis-stores.json there, never into the checkout.
  const dirs: string[] = [];
  return {
    async freshConfig() {
      const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
      dirs.push(dir);
      return {
        data_dir: dir,
        redis: { url: server().url, key_prefix: `${prefix}-${randomUUID().slice(0, 8)}` },
        worker,
      };
    },
    async cleanup() {
      await Promise.all(dirs.splice(0).map((d) => rm(d, RM_RACING_WRITES)));
    },
  };
}

/**
 * A private PostgreSQL schema per test (test/support/postgres.ts), dropped afterwards. Under CI a
 * server that cannot be reached fails the first test (assertPostgresReachable), never skips it.
 */
export function postgresHarness(prefix: string, worker: WorkerSettings): JobQueueHarness {
  const dirs: string[] = [];
  const schemas: TestSchema[] = [];
  return {
    async freshConfig() {
      await assertPostgresReachable();
      const dir = await mkdtemp(join(tmpdir(), `${prefix}-`));
      dirs.push(dir);
      const schema = testPostgresConfig();
      schemas.push(schema);
      return { data_dir: dir, postgres: schema.config, worker };
    },
    async cleanup() {
      await Promise.all(schemas.splice(0).map((s) => s.drop()));
      await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}
