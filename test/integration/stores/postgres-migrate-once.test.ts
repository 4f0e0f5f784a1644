// Migration before first use (stores/postgres-migrate-once.ts): a caller on the request path waits
// for another process's migration no longer than it asked, the migration goes on, and once it is
// done every call answers at once; a failed run is tried again.
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { migrateOnce } from '../../../src/stores/postgres-migrate-once.js';
import { POSTGRES_MIGRATIONS } from '../../../src/stores/postgres-schema.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from '../../support/postgres.js';

describe('migrateOnce', () => {
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(assertPostgresReachable);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function client(schema: TestSchema): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: schema.config.url });
    await c.connect();
    cleanups.push(() => c.end());
    return c;
  }

  it('gives up waiting after waitMs while another process holds the migration lock, and finishes after', async () => {
    const schema = testPostgresConfig();
    cleanups.push(() => schema.drop());
    const other = await client(schema);
    // Another process in the middle of its migration: it holds the lock the runner takes.
    await other.query('BEGIN');
    await other.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ttv-migrate:${schema.config.schema}`]);
    const migrated = migrateOnce(schema.config);
    const started = Date.now();
    await expect(migrated(300)).rejects.toThrow(/did not finish within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
    const waiting = migrated(); // joins the run still waiting for the lock
    await other.query('COMMIT');
    await waiting;
    const { rows } = await other.query<{ version: number }>(
      `SELECT version FROM "${schema.config.schema}".schema_migrations ORDER BY version`,
    );
    expect(rows.map((r) => r.version)).toEqual(POSTGRES_MIGRATIONS.map((m) => m.version).sort((a, b) => a - b));
    await expect(migrated(1)).resolves.toBeUndefined();
  });

  it('tries again after a failed run', async () => {
    const schema = testPostgresConfig();
    cleanups.push(() => schema.drop());
    const other = await client(schema);
    // A newer ttv's record: the run is refused, and refused again on the next call (not remembered as done).
    await other.query(`CREATE SCHEMA "${schema.config.schema}"`);
    await other.query(
      `CREATE TABLE "${schema.config.schema}".schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    await other.query(`INSERT INTO "${schema.config.schema}".schema_migrations (version, name) VALUES (999, 'future')`);
    const migrated = migrateOnce(schema.config);
    await expect(migrated()).rejects.toThrow(/newer than this ttv knows/);
    await other.query(`DELETE FROM "${schema.config.schema}".schema_migrations WHERE version = 999`);
    await expect(migrated()).resolves.toBeUndefined();
  });
});
