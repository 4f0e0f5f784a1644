// API keys in the embedded store: a table in the same ttv.db as the jobs (its own connection; WAL
// lets the API, the worker and `ttv keys` share the file).
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import type { KeyScope } from '../principal.js';
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
import { API_KEYS_SCHEMA } from '../../stores/sqlite-schema.js';

export class SqliteKeyStore implements KeyStore {
  private readonly db: Db;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(API_KEYS_SCHEMA);
  }

  async create(key: NewKey, secretHash: string): Promise<ApiKeyRecord> {
    const id = newKeyId();
    this.db
      .prepare(
        `INSERT INTO api_keys (id, secret_hash, name, scope, rate_limit, max_concurrent_jobs, monthly_budget_usd, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        id,
        secretHash,
        key.name,
        key.scope,
        key.limits.rateLimitPerMinute,
        key.limits.maxConcurrentJobs,
        key.limits.monthlyBudgetUsd,
        new Date().toISOString(),
      );
    return keyRecord(this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as KeyRow);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return (this.db.prepare('SELECT * FROM api_keys ORDER BY created_at, id').all() as KeyRow[]).map(keyRecord);
  }

  async revoke(id: string, guard: RevokeGuard = NO_REVOKE_GUARD): Promise<RevokeResult> {
    // IMMEDIATE: the count and the update in one write transaction, so that two processes revoking
    // the last two keys at once cannot both pass the guard.
    return this.db
      .transaction((): RevokeResult => {
        const byId = this.db.prepare('SELECT * FROM api_keys WHERE id = ?');
        const row = byId.get(id) as KeyRow | undefined;
        if (!row) return { outcome: 'not_found' };
        if (row.revoked_at) return { outcome: 'already_revoked', key: keyRecord(row) };
        const active = (scope: KeyScope | null) =>
          (
            this.db
              .prepare(`SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL${scope ? ' AND scope = ?' : ''}`)
              .get(...(scope ? [scope] : [])) as { n: number }
          ).n;
        if (guard.keepAdmin && row.scope === 'admin' && active('admin') <= 1)
          return { outcome: 'last_admin', key: keyRecord(row) };
        if (guard.keepAnyKey && active(null) <= 1) return { outcome: 'last_key', key: keyRecord(row) };
        this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?').run(new Date().toISOString(), id);
        return { outcome: 'revoked', key: keyRecord(byId.get(id) as KeyRow) };
      })
      .immediate();
  }

  async revokedAmong(ids: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    // In chunks, well under SQLite's limit on bound parameters.
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db
        .prepare(`SELECT id FROM api_keys WHERE revoked_at IS NOT NULL AND id IN (${chunk.map(() => '?').join(',')})`)
        .all(...chunk) as { id: string }[];
      out.push(...rows.map((r) => r.id));
    }
    return out;
  }

  async revocationMark(): Promise<number> {
    // Keys are never un-revoked nor deleted, so the count of revoked keys only grows.
    return (this.db.prepare('SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NOT NULL').get() as { n: number })
      .n;
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const row = this.db.prepare('SELECT * FROM api_keys WHERE secret_hash = ?').get(hash) as KeyRow | undefined;
    return row ? keyRecord(row) : null;
  }

  async activeCount(): Promise<number> {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL').get() as { n: number }).n;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
