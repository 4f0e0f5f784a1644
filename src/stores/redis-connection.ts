// Connection settings shared by every Redis connection ttv opens (job store, pub/sub, key store,
// rate limits), and the one place that turns an endpoint — one server, a Cluster, or a
// Sentinel-managed master — into an ioredis client.
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export interface RedisNode {
  host: string;
  port: number;
}

/** Where Redis is: one server by URL, a Cluster (any nodes; the rest are discovered), or a master found through Sentinels. */
export type RedisEndpoint =
  | { kind: 'standalone'; url: string }
  | { kind: 'cluster'; nodes: RedisNode[]; password: string | null }
  | {
      kind: 'sentinel';
      name: string;
      sentinels: RedisNode[];
      password: string | null;
      sentinelPassword: string | null;
      db: number;
    };

/** ioredis options shared by every connection: reconnect forever, queue commands meanwhile. */
export function redisOptions(): RedisOptions {
  return {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    // A failed-over master that came back as a replica answers READONLY: reconnect (Sentinel then
    // names the new master) and resend — the write was not executed.
    reconnectOnError: (err) => (err.message.startsWith('READONLY') ? 2 : false),
    lazyConnect: false,
  };
}

/** How long a request-path command waits for Redis before the API gives up on it (503). */
export const REQUEST_COMMAND_TIMEOUT_MS = 2000;

/**
 * For request-path connections: a command fails within ~2 s while Redis is down (→ 503), instead of
 * waiting. Commands of one event-loop turn go out as one pipeline (one write, one read): under
 * concurrent requests that is most of a command's cost.
 */
export function failFast(): RedisOptions {
  return {
    ...redisOptions(),
    maxRetriesPerRequest: 1,
    commandTimeout: REQUEST_COMMAND_TIMEOUT_MS,
    enableAutoPipelining: true,
  };
}

/** For a worker's record writes: a command gives up after a few seconds so that the caller can retry and report it. */
export function boundedWait(): RedisOptions {
  return { ...redisOptions(), commandTimeout: 5000 };
}

/**
 * A client for the endpoint. ioredis's Cluster serves the same command API as Redis (it follows
 * MOVED/ASK itself), so it is typed as Redis here and one code path serves both.
 */
export function connectRedis(endpoint: RedisEndpoint, options: RedisOptions): Redis {
  if (endpoint.kind === 'standalone') return new Redis(endpoint.url, options);
  if (endpoint.kind === 'sentinel') {
    return new Redis({
      ...options,
      name: endpoint.name,
      sentinels: endpoint.sentinels,
      db: endpoint.db,
      ...(endpoint.password ? { password: endpoint.password } : {}),
      ...(endpoint.sentinelPassword ? { sentinelPassword: endpoint.sentinelPassword } : {}),
      // Sentinels are asked again on every reconnect; +switch-master also moves the connection at once.
      failoverDetector: true,
      sentinelRetryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    });
  }
  const { retryStrategy, maxRetriesPerRequest, enableOfflineQueue, ...nodeOptions } = options;
  const cluster = new Cluster(endpoint.nodes, {
    redisOptions: {
      ...nodeOptions,
      maxRetriesPerRequest,
      ...(endpoint.password ? { password: endpoint.password } : {}),
    },
    enableOfflineQueue: enableOfflineQueue ?? true,
    clusterRetryStrategy: (times) => (retryStrategy ? retryStrategy(times) : Math.min(100 * times, 2000)) ?? 2000,
    // Node addresses come from CLUSTER SLOTS as the nodes announce them.
    lazyConnect: false,
  });
  return cluster as unknown as Redis;
}

/** Every key of one store must be in one hash slot on a Cluster (the Lua scripts derive their keys
 * from KEYS[1], queue-keys.ts): a prefix without a {hash tag} is wrapped in braces. */
export function clusterSafePrefix(prefix: string, endpoint: RedisEndpoint): string {
  if (endpoint.kind !== 'cluster' || /\{[^}]+\}/.test(prefix)) return prefix;
  return `{${prefix}}`;
}
