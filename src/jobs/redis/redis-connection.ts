// Connection settings shared by the Redis job queue and its lease store.
import type { RedisOptions } from 'ioredis';

export const BULL_QUEUE_NAME = 'ttv-jobs';

/** ioredis options shared by every connection: reconnect forever, queue commands meanwhile. */
export function redisOptions(): RedisOptions {
  return {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    lazyConnect: false,
  };
}

/** For request-path connections: a command fails within ~2 s while Redis is down (→ 503), instead of waiting. */
export function failFast(): RedisOptions {
  return { ...redisOptions(), maxRetriesPerRequest: 1, commandTimeout: 2000 };
}

/** For a worker's record writes: a command gives up after a few seconds so that the caller can retry and report it. */
export function boundedWait(): RedisOptions {
  return { ...redisOptions(), commandTimeout: 5000 };
}
