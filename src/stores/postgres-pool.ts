// The one place that turns the `postgres:` config section into a pg connection pool. Every pool ttv
// opens (job store, key store, rate-limit counters) comes from here, so all share the schema search
// path, timeouts and error handling.
import pg from 'pg';
import type { PostgresConfig } from '../config/schema.js';

/** How long a request-path query waits before the API gives up on it (503), as with Redis. */
export const POSTGRES_REQUEST_TIMEOUT_MS = 2000;

export interface PostgresPoolOptions {
  /** A query (and waiting for a pooled connection) gives up after this long; the caller answers 503 or retries. */
  queryTimeoutMs?: number;
  /** Overrides postgres.pool_size (e.g. a one-off CLI command needs two). */
  max?: number;
  /** Shown in pg_stat_activity, so an operator can tell ttv's connections apart. */
  applicationName?: string;
}

/** The quoted schema name for SQL text (the schema's config pattern already allows only [a-z0-9_]). */
export function quotedSchema(config: PostgresConfig): string {
  return `"${config.schema}"`;
}

export function openPostgresPool(config: PostgresConfig, options: PostgresPoolOptions = {}): pg.Pool {
  const timeout = options.queryTimeoutMs ?? 10_000;
  const pool = new pg.Pool({
    connectionString: config.url,
    max: options.max ?? config.pool_size,
    connectionTimeoutMillis: timeout,
    query_timeout: timeout,
    idleTimeoutMillis: 30_000,
    application_name: options.applicationName ?? 'ttv',
    // Unqualified table names resolve in ttv's schema; `public` stays visible for extensions.
    options: `-c search_path=${config.schema},public`,
  });
  // A pooled idle connection that dies (server restart, network) emits 'error' on the pool; without a
  // listener that would end the process. The next query gets a new connection or fails by itself.
  pool.on('error', () => {});
  // pg-pool listens for a connection's errors only while it is idle in the pool: one that dies while
  // checked out, between two queries of a transaction, would emit an unhandled 'error' and end the
  // process (seen with the server crashed mid-run). Its next query fails instead, and the caller
  // drops the connection (release(err)).
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}
