// API keys in PostgreSQL: the api_keys table of ttv's schema (stores/postgres-schema.ts), the same
// columns as SQLite's, beside the job tables (the claim reads a key's max_concurrent_jobs). Its own
// small pool with the request path's timeout, as the Redis key store has its own connection.
import type pg from 'pg';
import type { PostgresConfig } from '../../config/schema.js';
import { openPostgresPool, POSTGRES_REQUEST_TIMEOUT_MS } from '../../stores/postgres-pool.js';
import { migrateOnce } from '../../stores/postgres-migrate-once.js';
import {
  NO_REVOKE_GUARD,
  type ApiKeyRecord,
  type KeyStore,
  type NewKey,
  type RevokeGuard,
  type RevokeResult,
} from '../key-store.js';
import { newKeyId } from '../key-secret.js';
import { keyRecord, type KeyRow } from '../key-row.js';

const COLUMNS = 'id, name, scope, rate_limit, max_concurrent_jobs, monthly_budget_usd, created_at, revoked_at';

export interface PostgresKeyStoreOptions {
  /** Connections of this store's pool (default: postgres.pool_size, at most 4). */
  max?: number;
  /** How long a query waits before it fails (default: the request path's, as the Redis key store). */
  queryTimeoutMs?: number;
  /**
   * How long the first query waits for the schema's migration (default: queryTimeoutMs, so that a
   * request is never held longer than by a query; a one-off command may wait longer).
   */
  migrationWaitMs?: number;
}

export class PostgresKeyStore implements KeyStore {
  private readonly pool: pg.Pool;
  /** Brings the schema up to date before the first query (this store may be the first to reach the database). */
  private readonly migrated: (waitMs?: number) => Promise<void>;
  private readonly migrationWaitMs: number;

  constructor(config: PostgresConfig, options: PostgresKeyStoreOptions = {}) {
    this.migrated = migrateOnce(config);
    const timeoutMs = options.queryTimeoutMs ?? POSTGRES_REQUEST_TIMEOUT_MS;
    this.migrationWaitMs = options.migrationWaitMs ?? timeoutMs;
    // The authenticator caches each lookup for a second and keys change rarely: a few connections do.
    this.pool = openPostgresPool(config, {
      max: options.max ?? Math.min(config.pool_size, 4),
      queryTimeoutMs: timeoutMs,
      applicationName: 'ttv-keys',
    });
  }

  private ready(): Promise<void> {
    return this.migrated(this.migrationWaitMs);
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    await this.ready();
    return (await this.pool.query<R>(text, values)).rows;
  }

  async create(key: NewKey, secretHash: string): Promise<ApiKeyRecord> {
    const [row] = await this.query<KeyRow>(
      `INSERT INTO api_keys (id, secret_hash, name, scope, rate_limit, max_concurrent_jobs, monthly_budget_usd, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
      [
        newKeyId(),
        secretHash,
        key.name,
        key.scope,
        key.limits.rateLimitPerMinute,
        key.limits.maxConcurrentJobs,
        key.limits.monthlyBudgetUsd,
        new Date().toISOString(),
      ],
    );
    return keyRecord(row!);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (await this.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, id`)).map(keyRecord);
  }

  async revoke(id: string, guard: RevokeGuard = NO_REVOKE_GUARD): Promise<RevokeResult> {
    await this.ready();
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      // Revocations (and creations) take turns on this lock, held to COMMIT: the counts below and the
      // update are one step, so two revocations at once cannot both take the last (admin) key. Reads
      // (authentication, the claim's limit lookup) are not blocked by it.
      await client.query('LOCK TABLE api_keys IN SHARE ROW EXCLUSIVE MODE');
      const result = await this.revokeLocked(client, id, guard);
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = rollbackErr as Error; // the connection is gone: do not hand it out again
      });
      throw err;
    } finally {
      client.release(broken);
    }
  }

  private async revokeLocked(client: pg.PoolClient, id: string, guard: RevokeGuard): Promise<RevokeResult> {
    const row = (await client.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = $1`, [id])).rows[0];
    if (!row) return { outcome: 'not_found' };
    if (row.revoked_at !== null) return { outcome: 'already_revoked', key: keyRecord(row) };
    if (guard.keepAdmin || guard.keepAnyKey) {
      const { rows } = await client.query<{ admins: number; active: number }>(
        `SELECT (count(*) FILTER (WHERE scope = 'admin'))::int AS admins, count(*)::int AS active
         FROM api_keys WHERE revoked_at IS NULL`,
      );
      const { admins, active } = rows[0]!;
      if (guard.keepAdmin && row.scope === 'admin' && admins <= 1)
        return { outcome: 'last_admin', key: keyRecord(row) };
      if (guard.keepAnyKey && active <= 1) return { outcome: 'last_key', key: keyRecord(row) };
    }
    const updated = await client.query<KeyRow>(
      `UPDATE api_keys SET revoked_at = $2 WHERE id = $1 RETURNING ${COLUMNS}`,
      [id, new Date().toISOString()],
    );
    return { outcome: 'revoked', key: keyRecord(updated.rows[0]!) };
  }

  async revokedAmong(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await this.query<{ id: string }>(
      'SELECT id FROM api_keys WHERE revoked_at IS NOT NULL AND id = ANY($1::text[])',
      [ids],
    );
    const revoked = new Set(rows.map((r) => r.id));
    return ids.filter((id) => revoked.has(id));
  }

  async revocationMark(): Promise<number> {
    // Keys are never un-revoked nor deleted, so the count of revoked keys only grows.
    const [row] = await this.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NOT NULL',
    );
    return row!.n;
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const [row] = await this.query<KeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE secret_hash = $1`, [hash]);
    return row ? keyRecord(row) : null;
  }

  async activeCount(): Promise<number> {
    const [row] = await this.query<{ n: number }>('SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL');
    return row!.n;
  }

  async close(): Promise<void> {
    if (this.pool.ended) return;
    await this.pool.end();
  }
}
