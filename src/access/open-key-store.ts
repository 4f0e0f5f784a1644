// The key store that lives beside the configured job store: Redis when `redis:` is set, PostgreSQL
// when `postgres:` is, else the SQLite file under the data dir.
import { join, resolve } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { redisEndpoint, redisKeyPrefix } from '../stores/redis-endpoint.js';
import type { KeyStore } from './key-store.js';
import { SqliteKeyStore } from './sqlite/sqlite-key-store.js';
import { RedisKeyStore } from './redis/redis-key-store.js';
import { PostgresKeyStore } from './postgres/postgres-key-store.js';

export interface OpenKeyStoreOptions {
  /**
   * How long a store that migrates its schema (PostgreSQL) waits for that on first use; default: as
   * long as a request-path query. A one-off command (`ttv keys`) on a new database waits longer.
   */
  schemaWaitMs?: number;
}

export function openKeyStore(config: AppConfig, options: OpenKeyStoreOptions = {}): KeyStore {
  if (config.redis) return new RedisKeyStore(redisEndpoint(config.redis), redisKeyPrefix(config.redis));
  if (config.postgres)
    return new PostgresKeyStore(config.postgres, {
      ...(options.schemaWaitMs !== undefined ? { migrationWaitMs: options.schemaWaitMs } : {}),
    });
  return new SqliteKeyStore(join(resolve(config.data_dir), 'ttv.db'));
}
