// The redis section's topologies: one server, a Cluster, or a Sentinel-managed master — one at a time,
// with clear errors — and the key prefix every store uses on each.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { redisEndpoint, redisKeyPrefix } from '../../../src/stores/redis-endpoint.js';

const parse = (redis: Record<string, unknown>) => configSchema.safeParse({ redis });
const messages = (redis: Record<string, unknown>) => {
  const result = parse(redis);
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('redis topologies in config', () => {
  it('reads cluster nodes as "host:port" or {host, port} and brace-tags the prefix', () => {
    const result = parse({ cluster: { nodes: ['10.0.0.1:7000', { host: 'node-b', port: 7001 }] }, key_prefix: 'jobs' });
    expect(result.success).toBe(true);
    const redis = result.data!.redis!;
    expect(redisEndpoint(redis)).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: 'node-b', port: 7001 },
      ],
      username: null,
      password: null,
      tls: null,
    });
    expect(redisKeyPrefix(redis)).toBe('{jobs}');
  });

  it('keeps a prefix that already has a hash tag, and leaves prefixes alone off a Cluster', () => {
    expect(redisKeyPrefix(parse({ cluster: { nodes: ['h:1'] }, key_prefix: 'app:{ttv}' }).data!.redis!)).toBe(
      'app:{ttv}',
    );
    expect(redisKeyPrefix(parse({ url: 'redis://h:6379/0', key_prefix: 'ttv' }).data!.redis!)).toBe('ttv');
    expect(redisKeyPrefix(parse({ sentinel: { name: 'm', sentinels: ['h:26379'] } }).data!.redis!)).toBe('ttv');
  });

  it('builds a Sentinel endpoint, the master password falling back to redis.password', () => {
    const redis = parse({
      sentinel: { name: 'mymaster', sentinels: [{ host: 's1', port: 26379 }], sentinel_password: 'sp' },
      password: 'mp',
      db: 2,
    }).data!.redis!;
    expect(redisEndpoint(redis)).toEqual({
      kind: 'sentinel',
      name: 'mymaster',
      sentinels: [{ host: 's1', port: 26379 }],
      username: null,
      password: 'mp',
      sentinelUsername: null,
      sentinelPassword: 'sp',
      db: 2,
      tls: null,
    });
  });

  it('refuses two topologies at once, a database other than 0 on a Cluster, and malformed nodes', () => {
    expect(messages({ url: 'redis://h:6379/0', cluster: { nodes: ['h:7000'] } })).toEqual([
      expect.stringMatching(/^redis\.cluster: cannot be combined with redis\.url/),
    ]);
    expect(messages({ cluster: { nodes: ['h:7000'] }, sentinel: { name: 'm', sentinels: ['h:26379'] } })).toEqual([
      expect.stringMatching(/^redis\.sentinel: cannot be combined with redis\.cluster/),
    ]);
    expect(messages({ cluster: { nodes: ['h:7000'] }, db: 3 })).toEqual([
      'redis.db: must be 0 with redis.cluster (a Cluster has only database 0)',
    ]);
    expect(messages({ cluster: { nodes: [] } }).join()).toMatch(/cluster\.nodes: must list at least one node/);
    expect(messages({ cluster: { nodes: ['no-port'] } }).join()).toMatch(
      /nodes\.0: must be "host:port", "rediss:\/\/host:port" or \{host, port\}/,
    );
    expect(messages({ sentinel: { name: 'm', sentinels: [] } }).join()).toMatch(
      /sentinel\.sentinels: must list at least one sentinel/,
    );
  });
});
