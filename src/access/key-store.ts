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

export interface KeyStore {
  /** Stores the key under the hash of `secret` (the secret itself is never stored). */
  create(key: NewKey, secretHash: string): Promise<ApiKeyRecord>;
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; null when there is no such key. */
  revoke(id: string): Promise<ApiKeyRecord | null>;
  /** The key whose secret hashes to `hash`, revoked or not; null when none. */
  findByHash(hash: string): Promise<ApiKeyRecord | null>;
  /** Number of keys not revoked. */
  activeCount(): Promise<number>;
  close(): Promise<void>;
}
