// KeyStore port: API keys stored hashed beside the job store (SQLite table or Redis hashes), so that
// every API process sharing that store sees a new key or a revocation.
import type { KeyLimits, KeyScope } from './principal.js';

export interface ApiKeyRecord {
  id: string;
  name: string;
  scope: KeyScope;
  limits: KeyLimits;
  created_at: string;
  revoked_at: string | null;
}

export interface NewKey {
  name: string;
  scope: KeyScope;
  limits: KeyLimits;
}

/**
 * What a revocation must leave in place, decided in the same atomic step as the revocation (two
 * revocations at once cannot both take the last key).
 */
export interface RevokeGuard {
  /** Refuse to revoke the last active `admin` key (no security.auth_token stands in for one). */
  keepAdmin: boolean;
  /** Refuse to revoke the last active key of any scope (without it the server would turn open). */
  keepAnyKey: boolean;
}

export type RevokeResult =
  | { outcome: 'revoked' | 'already_revoked'; key: ApiKeyRecord }
  | { outcome: 'not_found' }
  /** Refused by the guard: the key stays active. */
  | { outcome: 'last_admin' | 'last_key'; key: ApiKeyRecord };

export const NO_REVOKE_GUARD: RevokeGuard = { keepAdmin: false, keepAnyKey: false };

export interface KeyStore {
  /** Stores the key under the hash of `secret` (the secret itself is never stored). */
  create(key: NewKey, secretHash: string): Promise<ApiKeyRecord>;
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked unless the guard refuses. */
  revoke(id: string, guard?: RevokeGuard): Promise<RevokeResult>;
  /** Those of `ids` that are revoked (unknown ids are not). */
  revokedAmong(ids: readonly string[]): Promise<string[]>;
  /**
   * A figure that changes whenever a key is revoked (by any process sharing the store), so that a
   * watcher re-checks its keys only then (key-revocations.ts).
   */
  revocationMark(): Promise<number>;
  /** The key whose secret hashes to `hash`, revoked or not; null when none. */
  findByHash(hash: string): Promise<ApiKeyRecord | null>;
  /** Number of keys not revoked. */
  activeCount(): Promise<number>;
  close(): Promise<void>;
}
