// The key store that lives beside the configured job store: Redis when `redis:` is set, else the
// SQLite file under the data dir.
import { join, resolve } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { redisEndpoint, redisKeyPrefix } from '../stores/redis-endpoint.js';
import type { KeyStore } from './key-store.js';
import { SqliteKeyStore } from './sqlite/sqlite-key-store.js';
import { RedisKeyStore } from './redis/redis-key-store.js';

export function openKeyStore(config: AppConfig): KeyStore {
  if (config.redis) return new RedisKeyStore(redisEndpoint(config.redis), redisKeyPrefix(config.redis));
  return new SqliteKeyStore(join(resolve(config.data_dir), 'ttv.db'));
}
