// The configured `redis:` section as the endpoint and key prefix every Redis store of ttv (job queue,
// API keys, rate-limit and auth-failure counters) connects with.
import type { AppConfig } from '../config/schema.js';
import { clusterSafePrefix, type RedisEndpoint } from './redis-connection.js';

/** redis://[:password@]host:port/db from `redis.url`, or from host/port/db/password. */
export function redisUrl(redis: NonNullable<AppConfig['redis']>): string {
  if (redis.url) return redis.url;
  const auth = redis.password ? `:${encodeURIComponent(redis.password)}@` : '';
  return `redis://${auth}${redis.host}:${redis.port}/${redis.db}`;
}

/** The configured Redis as an endpoint: a Cluster, a Sentinel-managed master, or one server. */
export function redisEndpoint(redis: NonNullable<AppConfig['redis']>): RedisEndpoint {
  if (redis.cluster) return { kind: 'cluster', nodes: redis.cluster.nodes, password: redis.password };
  if (redis.sentinel) {
    const s = redis.sentinel;
    return {
      kind: 'sentinel',
      name: s.name,
      sentinels: s.sentinels,
      password: s.password ?? redis.password,
      sentinelPassword: s.sentinel_password,
      db: redis.db,
    };
  }
  return { kind: 'standalone', url: redisUrl(redis) };
}

/** The key prefix every Redis store of ttv uses: key_prefix, brace-tagged on a Cluster (one hash slot). */
export function redisKeyPrefix(redis: NonNullable<AppConfig['redis']>): string {
  return clusterSafePrefix(redis.key_prefix, redisEndpoint(redis));
}
