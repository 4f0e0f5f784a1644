// Migration before first use, for the parts that open their own pool (key store, rate-limit counters):
// each may be the first to reach a new database, and none may run a query before the schema is there.
import type { PostgresConfig } from '../config/schema.js';
import { openPostgresPool } from './postgres-pool.js';
import { migratePostgres } from './postgres-migrations.js';

/** How long the one-off migration connection waits: another process may hold the migration lock a while. */
const MIGRATE_TIMEOUT_MS = 30_000;

const perSchema = new Map<string, (waitMs?: number) => Promise<void>>();

/**
 * A function that brings the schema up to date on its first call and then answers at once; calls
 * during a run share it, and a failed run is tried again on the next call. The migration runs on a
 * one-connection pool of its own, so that waiting for another process's migration lock is not cut
 * short by the request path's timeout; a caller on the request path passes `waitMs` instead, and
 * gives up after that long while the run goes on for the next call.
 */
export function migrateOnce(config: PostgresConfig): (waitMs?: number) => Promise<void> {
  // One per database and schema in a process: the job store, the key store and the rate-limit
  // counters each ask, and the schema needs bringing up to date once, not once for each.
  const key = `${config.url}\n${config.schema}`;
  let migrate = perSchema.get(key);
  if (!migrate) {
    migrate = migrator(config);
    perSchema.set(key, migrate);
  }
  return migrate;
}

function migrator(config: PostgresConfig): (waitMs?: number) => Promise<void> {
  let run: Promise<void> | null = null;
  let done = false;
  return (waitMs) => {
    if (done) return Promise.resolve();
    run ??= (async () => {
      const pool = openPostgresPool(config, {
        max: 1,
        queryTimeoutMs: MIGRATE_TIMEOUT_MS,
        applicationName: 'ttv-migrate',
      });
      try {
        await migratePostgres(pool, config);
        done = true;
      } finally {
        await pool.end();
      }
    })().catch((err: unknown) => {
      run = null;
      throw err;
    });
    return waitMs === undefined ? run : within(run, waitMs);
  };
}

function within(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the PostgreSQL schema migration did not finish within ${ms} ms`)), ms);
  });
  // The run goes on after a timeout; its own failure is then seen by the next call.
  work.catch(() => undefined);
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
