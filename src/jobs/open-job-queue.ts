// Chooses the JobStore/Queue adapter from config: Redis (BullMQ) when a `redis:` section is present,
// else SQLite under the data dir.
import { join, resolve } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import type { JobQueue } from './job-queue.js';
import { SqliteJobQueue } from './sqlite/sqlite-job-queue.js';
import { RedisJobQueue, type RedisQueueLogger } from './redis/redis-job-queue.js';
import { clusterSafePrefix, type RedisEndpoint } from './redis/redis-connection.js';

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
    return { kind: 'sentinel', name: s.name, sentinels: s.sentinels, password: s.password ?? redis.password, sentinelPassword: s.sentinel_password, db: redis.db };
  }
  return { kind: 'standalone', url: redisUrl(redis) };
}

/** The key prefix every Redis store of ttv uses: key_prefix, brace-tagged on a Cluster (one hash slot). */
export function redisKeyPrefix(redis: NonNullable<AppConfig['redis']>): string {
  return clusterSafePrefix(redis.key_prefix, redisEndpoint(redis));
}

/** The Redis record TTL: as configured, else one day past retention.jobs_days (0 = no TTL). */
export function redisJobTtlSeconds(config: AppConfig): number {
  const configured = config.redis?.job_ttl_seconds;
  if (configured != null) return configured;
  const days = config.retention.jobs_days;
  return days > 0 ? Math.ceil((days + 1) * 24 * 3600) : 0;
}

export function openJobQueue(config: AppConfig, logger?: RedisQueueLogger): JobQueue {
  const worker = config.worker;
  const consumer = {
    leaseMs: worker.lease_seconds * 1000,
    heartbeatMs: worker.heartbeat_seconds * 1000,
    maxAttempts: worker.max_attempts,
  };
  if (config.redis) {
    return new RedisJobQueue({
      endpoint: redisEndpoint(config.redis),
      keyPrefix: redisKeyPrefix(config.redis),
      ...(config.redis.sentinel ? { replicaAcks: { count: config.redis.sentinel.replicas_to_ack, timeoutMs: config.redis.sentinel.replica_ack_timeout_ms } } : {}),
      jobTtlSeconds: redisJobTtlSeconds(config),
      consumer,
      markerMemoryFile: join(resolve(config.data_dir), 'redis-stores.json'),
      ...(logger ? { logger } : {}),
    });
  }
  return new SqliteJobQueue({ file: join(resolve(config.data_dir), 'ttv.db'), consumer });
}
