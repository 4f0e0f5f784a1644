// Migration before first use, for the parts that open their own pool (key store, rate-limit counters):
// each may be the first to reach a new database, and none may run a query before the schema is there.
import type { PostgresConfig } from '../config/schema.js';
import { openPostgresPool } from './postgres-pool.js';
import { migratePostgres } from './postgres-migrations.js';

/** How long the one-off migration connection waits: another process may hold the migration lock a while. */
const MIGRATE_TIMEOUT_MS = 30_000;

/**
 * A function that brings the schema up to date on its first call and then answers at once; calls
 * during a run share it, and a failed run is tried again on the next call. The migration runs on a
 * one-connection pool of its own, so that waiting for another process's migration lock is not cut
 * short by the request path's timeout.
 */
export function migrateOnce(config: PostgresConfig): () => Promise<void> {
  let run: Promise<void> | null = null;
  return () => {
    run ??= (async () => {
      const pool = openPostgresPool(config, {
        max: 1,
        queryTimeoutMs: MIGRATE_TIMEOUT_MS,
        applicationName: 'ttv-migrate',
      });
      try {
        await migratePostgres(pool, config);
      } finally {
        await pool.end();
      }
    })().catch((err: unknown) => {
      run = null;
      throw err;
    });
    return run;
  };
}
