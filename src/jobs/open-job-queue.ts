// Chooses the JobStore/Queue adapter from config: Redis when a `redis:` section is present,
// PostgreSQL when a `postgres:` one is (the two are exclusive), else SQLite under the data dir.
import { join, resolve } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import type { JobQueue } from './job-queue.js';
import { SqliteJobQueue } from './sqlite/sqlite-job-queue.js';
import { RedisJobQueue, type RedisQueueLogger } from './redis/redis-job-queue.js';
import { PostgresJobQueue } from './postgres/postgres-job-queue.js';
import { redisEndpoint, redisKeyPrefix } from '../stores/redis-endpoint.js';

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
      ...(config.redis.sentinel
        ? {
            replicaAcks: {
              count: config.redis.sentinel.replicas_to_ack,
              timeoutMs: config.redis.sentinel.replica_ack_timeout_ms,
            },
          }
        : {}),
      jobTtlSeconds: redisJobTtlSeconds(config),
      consumer,
      markerMemoryFile: join(resolve(config.data_dir), 'redis-stores.json'),
      ...(logger ? { logger } : {}),
    });
  }
  // Synchronous like the others: the schema is migrated at open in the background, and every call waits for it.
  if (config.postgres) return new PostgresJobQueue({ config: config.postgres, consumer });
  return new SqliteJobQueue({ file: join(resolve(config.data_dir), 'ttv.db'), consumer });
}
