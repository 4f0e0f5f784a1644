// The configured `redis:` section as the endpoint and key prefix every Redis store of ttv (job queue,
// API keys, rate-limit and auth-failure counters) connects with.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { AppConfig } from '../config/schema.js';
import { ConfigError } from '../errors/config-error.js';
import { clusterSafePrefix, type RedisEndpoint, type RedisNode, type RedisTls } from './redis-connection.js';

type RedisConfig = NonNullable<AppConfig['redis']>;

/** redis://[:password@]host:port/db from `redis.url`, or from host/port/db/password (rediss:// with redis.tls). */
export function redisUrl(redis: RedisConfig): string {
  if (redis.url) return redis.url;
  const auth = redis.password ? `:${encodeURIComponent(redis.password)}@` : '';
  return `${redis.tls ? 'rediss' : 'redis'}://${auth}${redis.host}:${redis.port}/${redis.db}`;
}

/** Whether the topology speaks TLS: redis.tls is set, or a URL of it (redis.url, a node, a Sentinel) is rediss://. */
export function redisTlsOn(redis: RedisConfig): boolean {
  if (redis.tls) return true;
  if (redis.cluster) return redis.cluster.nodes.some((n) => n.tls === true);
  if (redis.sentinel) return redis.sentinel.sentinels.some((n) => n.tls === true);
  return !!redis.url && /^rediss:\/\//i.test(redis.url);
}

function readTlsFile(field: 'ca' | 'cert' | 'key', path: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError([{ key: `redis.tls.${field}`, message: `cannot read ${path} (${code})` }]);
  }
  if (data.length === 0) throw new ConfigError([{ key: `redis.tls.${field}`, message: `${path} is empty` }]);
  return data;
}

/**
 * redis.tls with its files read, checked now (a bad PEM or a key that does not match its certificate
 * would otherwise only show as a connection that never comes up), or null without TLS. Errors name
 * the field and the path, never the files' contents.
 */
function readTls(redis: RedisConfig): RedisTls | null {
  if (!redisTlsOn(redis)) return null;
  const c = redis.tls;
  const tls: RedisTls = { rejectUnauthorized: c?.reject_unauthorized ?? true };
  if (c?.ca) tls.ca = readTlsFile('ca', c.ca);
  if (c?.cert) tls.cert = readTlsFile('cert', c.cert);
  if (c?.key) tls.key = readTlsFile('key', c.key);
  if (c?.servername) tls.servername = c.servername;
  if (tls.ca) {
    try {
      // The first certificate of the bundle parses (a secure context would take any text without a word).
      new X509Certificate(tls.ca);
    } catch (err) {
      throw new ConfigError([
        { key: 'redis.tls.ca', message: `${c!.ca} holds no usable PEM certificate (${reason(err)})` },
      ]);
    }
  }
  if (tls.cert && tls.key) {
    try {
      createSecureContext({ cert: tls.cert, key: tls.key });
    } catch (err) {
      throw new ConfigError([
        {
          key: 'redis.tls.key',
          message: `${c!.key} is not a PEM private key (without passphrase) of the certificate ${c!.cert} (${reason(err)})`,
        },
      ]);
    }
  }
  return tls;
}

/** OpenSSL's reason: a library code and phrase, never file contents. */
function reason(err: unknown): string {
  const e = err as { code?: string; reason?: string; message?: string };
  return e.reason ?? e.code ?? 'unreadable';
}

const node = ({ host, port }: RedisNode): RedisNode => ({ host, port });

// One read of the TLS files per loaded config: every connection of the process (job store, pub/sub,
// key store, rate limits) uses the same contents.
const endpoints = new WeakMap<RedisConfig, RedisEndpoint>();

/** The configured Redis as an endpoint: a Cluster, a Sentinel-managed master, or one server. Throws ConfigError for unreadable TLS files. */
export function redisEndpoint(redis: RedisConfig): RedisEndpoint {
  const known = endpoints.get(redis);
  if (known) return known;
  const tls = readTls(redis);
  const access = { username: redis.username, tls };
  let endpoint: RedisEndpoint;
  if (redis.cluster) {
    endpoint = { kind: 'cluster', nodes: redis.cluster.nodes.map(node), password: redis.password, ...access };
  } else if (redis.sentinel) {
    const s = redis.sentinel;
    endpoint = {
      kind: 'sentinel',
      name: s.name,
      sentinels: s.sentinels.map(node),
      password: s.password ?? redis.password,
      sentinelUsername: s.sentinel_username,
      sentinelPassword: s.sentinel_password,
      db: redis.db,
      ...access,
    };
  } else {
    endpoint = { kind: 'standalone', url: redisUrl(redis), password: redis.password, ...access };
  }
  endpoints.set(redis, endpoint);
  return endpoint;
}

/** The key prefix every Redis store of ttv uses: key_prefix, brace-tagged on a Cluster (one hash slot). */
export function redisKeyPrefix(redis: RedisConfig): string {
  return clusterSafePrefix(redis.key_prefix, { kind: redis.cluster ? 'cluster' : 'standalone' });
}
