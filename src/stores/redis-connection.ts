// Connection settings shared by every Redis connection ttv opens (job store, pub/sub, key store,
// rate limits), and the one place that turns an endpoint — one server, a Cluster, or a
// Sentinel-managed master — into an ioredis client.
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type RedisOptions } from 'ioredis';

export interface RedisNode {
  host: string;
  port: number;
}

/** TLS to the servers: the files' contents (read at startup), and how their certificates are checked. */
export interface RedisTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The name certificates are checked against (and SNI), instead of the address connected to. */
  servername?: string;
  rejectUnauthorized: boolean;
}

/** The ACL user and TLS of a topology's data nodes; absent = none (no user, plain TCP unless a rediss:// URL). */
interface RedisAccess {
  username?: string | null;
  tls?: RedisTls | null;
}

/** Where Redis is: one server by URL, a Cluster (any nodes; the rest are discovered), or a master found through Sentinels. */
export type RedisEndpoint =
  | ({ kind: 'standalone'; url: string; password?: string | null } & RedisAccess)
  | ({ kind: 'cluster'; nodes: RedisNode[]; password: string | null } & RedisAccess)
  | ({
      kind: 'sentinel';
      name: string;
      sentinels: RedisNode[];
      password: string | null;
      sentinelUsername?: string | null;
      sentinelPassword: string | null;
      db: number;
    } & RedisAccess);

function tlsOptions(tls: RedisTls): ConnectionOptions {
  return {
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
    ...(tls.servername ? { servername: tls.servername } : {}),
    rejectUnauthorized: tls.rejectUnauthorized,
  };
}

/** The username/password/tls options of an endpoint's data connections. */
function accessOptions(endpoint: RedisEndpoint): RedisOptions {
  return {
    ...(endpoint.username ? { username: endpoint.username } : {}),
    ...(endpoint.password ? { password: endpoint.password } : {}),
    ...(endpoint.tls ? { tls: tlsOptions(endpoint.tls) } : {}),
  };
}

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
  if (endpoint.kind === 'standalone') return connectStandalone(endpoint, options);
  if (endpoint.kind === 'sentinel') {
    const tls = endpoint.tls ? tlsOptions(endpoint.tls) : null;
    return new Redis({
      ...options,
      ...accessOptions(endpoint),
      name: endpoint.name,
      sentinels: endpoint.sentinels,
      db: endpoint.db,
      ...(endpoint.sentinelUsername ? { sentinelUsername: endpoint.sentinelUsername } : {}),
      ...(endpoint.sentinelPassword ? { sentinelPassword: endpoint.sentinelPassword } : {}),
      // One TLS setting for the Sentinels and the master/replicas they name.
      ...(tls ? { sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
      // Sentinels are asked again on every reconnect; +switch-master also moves the connection at once.
      failoverDetector: true,
      sentinelRetryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    });
  }
  const { retryStrategy, maxRetriesPerRequest, enableOfflineQueue, ...nodeOptions } = options;
  const cluster = new Cluster(endpoint.nodes, {
    redisOptions: { ...nodeOptions, maxRetriesPerRequest, ...accessOptions(endpoint) },
    enableOfflineQueue: enableOfflineQueue ?? true,
    clusterRetryStrategy: (times) => (retryStrategy ? retryStrategy(times) : Math.min(100 * times, 2000)) ?? 2000,
    // Node addresses come from CLUSTER SLOTS as the nodes announce them (IP addresses unless the
    // Cluster announces host names): with TLS their certificates must name those addresses, or
    // redis.tls.servername the name they do carry.
    lazyConnect: false,
    // Over TLS a configured host name is connected to as written, so that its certificate is checked
    // against that name (ioredis would otherwise resolve it and check the IP address).
    ...(endpoint.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
  });
  return cluster as unknown as Redis;
}

/**
 * One server by URL. The URL's user or password wins over the endpoint's, each on its own: ioredis
 * would take "rediss://user@host" as user and empty password, so the userinfo is read here and
 * taken out of the URL. rediss:// without redis.tls still gets TLS, checked against the system's CAs.
 */
function connectStandalone(endpoint: Extract<RedisEndpoint, { kind: 'standalone' }>, options: RedisOptions): Redis {
  let url = endpoint.url;
  let username = endpoint.username ?? null;
  let password = endpoint.password ?? null;
  try {
    const parsed = new URL(url);
    if (parsed.username) username = decodeURIComponent(parsed.username);
    if (parsed.password) password = decodeURIComponent(parsed.password);
    parsed.username = '';
    parsed.password = '';
    url = parsed.href;
  } catch {
    // Not a WHATWG URL (ioredis takes a few more forms): left to ioredis as it is.
  }
  return new Redis(url, { ...options, ...accessOptions({ ...endpoint, username, password }) });
}

/** Every key of one store must be in one hash slot on a Cluster (the Lua scripts derive their keys
 * from KEYS[1], queue-keys.ts): a prefix without a {hash tag} is wrapped in braces. */
export function clusterSafePrefix(prefix: string, endpoint: Pick<RedisEndpoint, 'kind'>): string {
  if (endpoint.kind !== 'cluster' || /\{[^}]+\}/.test(prefix)) return prefix;
  return `{${prefix}}`;
}
