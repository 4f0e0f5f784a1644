// An api_keys row as both SQL key stores keep it (SQLite's and PostgreSQL's tables have the same
// columns: numbers, and timestamps as ISO-8601 text), and the record the KeyStore port hands out.
import type { ApiKeyRecord } from './key-store.js';
import type { KeyScope } from './principal.js';

export interface KeyRow {
  id: string;
  name: string;
  scope: KeyScope;
  rate_limit: number | null;
  max_concurrent_jobs: number | null;
  monthly_budget_usd: number | null;
  created_at: string;
  revoked_at: string | null;
}

export function keyRecord(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    scope: row.scope,
    created_at: row.created_at,
    revoked_at: row.revoked_at,
    limits: {
      rateLimitPerMinute: row.rate_limit,
      maxConcurrentJobs: row.max_concurrent_jobs,
      monthlyBudgetUsd: row.monthly_budget_usd,
    },
  };
}
