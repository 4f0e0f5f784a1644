// The key store that lives beside the configured job store: Redis when `redis:` is set, PostgreSQL
// when `postgres:` is, else the SQLite file under the data dir.
import { join, resolve } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { redisEndpoint, redisKeyPrefix } from '../stores/redis-endpoint.js';
import type { KeyStore } from './key-store.js';
import { SqliteKeyStore } from './sqlite/sqlite-key-store.js';
import { RedisKeyStore } from './redis/redis-key-store.js';
import { PostgresKeyStore } from './postgres/postgres-key-store.js';

export function openKeyStore(config: AppConfig): KeyStore {
  if (config.redis) return new RedisKeyStore(redisEndpoint(config.redis), redisKeyPrefix(config.redis));
  if (config.postgres) return new PostgresKeyStore(config.postgres);
  return new SqliteKeyStore(join(resolve(config.data_dir), 'ttv.db'));
}
