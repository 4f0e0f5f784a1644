// Every table ttv keeps in PostgreSQL, as numbered migrations (postgres-migrations.ts applies the
// missing ones at startup). A released migration is never edited: a change is a new version.
// Tables are created unqualified; the runner sets the search path to postgres.schema.

export interface PostgresMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Version 2: what the API's access layer keeps beside the jobs.
 * - api_keys: the same columns as SQLite's (sqlite-schema.ts API_KEYS_SCHEMA); version 1 (the job
 *   tables) creates it too, since the claim reads a key's max_concurrent_jobs, so here it is
 *   IF NOT EXISTS: a no-op after version 1, and the key store works on a schema without the job tables.
 *   Timestamps stay ISO-8601 text, as in SQLite, so that both stores hand out the same strings.
 * - rate_windows: the rate-limit and authentication-failure counters of every API process
 *   (api/plugins/postgres-window-counter.ts). UNLOGGED: a counter is written on every request and
 *   is worth nothing after a crash, so it skips the WAL (after a crash or a failover to a standby the
 *   table starts empty, which only gives every client a fresh window).
 */
const ACCESS_SQL = `
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  rate_limit INTEGER,
  max_concurrent_jobs INTEGER,
  monthly_budget_usd DOUBLE PRECISION,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
CREATE UNLOGGED TABLE rate_windows (
  client TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  window_end TIMESTAMPTZ NOT NULL
);
CREATE INDEX rate_windows_end ON rate_windows (window_end);
`;

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [{ version: 2, name: 'access', sql: ACCESS_SQL }];
