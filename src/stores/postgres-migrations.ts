// Brings a PostgreSQL database to the schema this ttv expects, once, however many processes start at
// the same moment: migrations run in one transaction under an advisory lock, each recorded by version,
// and a database already at a newer version than this ttv knows is refused (an older ttv must not
// write to tables it does not understand).
import type pg from 'pg';
import type { PostgresConfig } from '../config/schema.js';
import { StoreSchemaTooNewError } from '../errors/store-schema-too-new-error.js';
import { quotedSchema } from './postgres-pool.js';
import { POSTGRES_MIGRATIONS, type PostgresMigration } from './postgres-schema.js';

/** Applies the missing migrations; returns the versions applied now (empty when already current). */
export async function migratePostgres(
  pool: pg.Pool,
  config: PostgresConfig,
  migrations: readonly PostgresMigration[] = POSTGRES_MIGRATIONS,
): Promise<number[]> {
  const schema = quotedSchema(config);
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // Transaction-scoped: released by COMMIT or ROLLBACK, even if this process dies mid-way.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ttv-migrate:${config.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    );
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${schema}.schema_migrations`);
    const applied = new Set(rows.map((r) => r.version));
    const newest = Math.max(0, ...applied);
    if (newest > known) throw new StoreSchemaTooNewError(newest, known);
    const done: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(migration.version)) continue;
      await client.query(`SET LOCAL search_path TO ${schema}, public`);
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [
        migration.version,
        migration.name,
      ]);
      done.push(migration.version);
    }
    await client.query('COMMIT');
    return done;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
