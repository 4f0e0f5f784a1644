// The redis section's TLS and ACL settings: rediss:// nodes and Sentinels, redis.tls files (read at
// startup, errors naming the field and never the contents), redis.username, and their redaction.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { configSchema } from '../../../src/config/schema.js';
import { ConfigError } from '../../../src/errors/config-error.js';
import { redactConfig } from '../../../src/logging/redact.js';
import { redisEndpoint, redisTlsOn } from '../../../src/stores/redis-endpoint.js';
import { testCertificateAuthority, type TestCertificateAuthority } from '../../support/self-signed.js';

const parse = (redis: Record<string, unknown>) => configSchema.safeParse({ redis });
const redisOf = (redis: Record<string, unknown>) => {
  const result = parse(redis);
  if (!result.success) throw new Error(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  return result.data.redis!;
};
const messages = (redis: Record<string, unknown>) => {
  const result = parse(redis);
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

let dir: string;
let ca: TestCertificateAuthority;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-redis-tls-'));
  ca = testCertificateAuthority(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('rediss:// nodes and Sentinels', () => {
  it('reads redis:// and rediss:// URLs as Cluster nodes; a rediss:// node turns TLS on for the Cluster', () => {
    const redis = redisOf({
      cluster: { nodes: ['rediss://10.0.0.1:7000', 'rediss://[::1]:7001', 'node-c:7002'] },
      username: 'ttv',
      password: 'pw-1234',
    });
    expect(redisTlsOn(redis)).toBe(true);
    expect(redisEndpoint(redis)).toEqual({
      kind: 'cluster',
      nodes: [
        { host: '10.0.0.1', port: 7000 },
        { host: '::1', port: 7001 },
        { host: 'node-c', port: 7002 },
      ],
      username: 'ttv',
      password: 'pw-1234',
      // Verification stays on with no redis.tls: the system's CAs.
      tls: { rejectUnauthorized: true },
    });
    expect(redisTlsOn(redisOf({ cluster: { nodes: ['redis://h:7000', 'h:7001'] } }))).toBe(false);
    expect(redisEndpoint(redisOf({ cluster: { nodes: ['redis://h:7000'] } }))).toMatchObject({ tls: null });
  });

  it('reads rediss:// Sentinels, with the Sentinels’ own user and password', () => {
    const redis = redisOf({
      sentinel: {
        name: 'mymaster',
        sentinels: ['rediss://s1:26379', { host: 's2', port: 26379 }],
        sentinel_username: 'watcher',
        sentinel_password: 'sp-1234',
      },
      username: 'ttv',
      password: 'mp-1234',
    });
    expect(redisEndpoint(redis)).toEqual({
      kind: 'sentinel',
      name: 'mymaster',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      username: 'ttv',
      password: 'mp-1234',
      sentinelUsername: 'watcher',
      sentinelPassword: 'sp-1234',
      db: 0,
      tls: { rejectUnauthorized: true },
    });
  });

  it('refuses a mix of rediss:// and redis://, redis:// next to redis.tls, and URLs carrying more than host:port', () => {
    expect(messages({ cluster: { nodes: ['rediss://h:7000', 'redis://h:7001'] } })).toEqual([
      'redis.cluster.nodes: mixes rediss:// and redis:// nodes: give every node the same scheme (rediss:// for TLS)',
    ]);
    expect(messages({ sentinel: { name: 'm', sentinels: ['redis://h:26379'] }, tls: {} })).toEqual([
      'redis.sentinel.sentinels: names redis:// (no TLS) while redis.tls is set: use rediss://, or host:port',
    ]);
    expect(messages({ url: 'redis://h:6379/0', tls: {} })).toEqual([
      'redis.url: is redis:// (no TLS) while redis.tls is set: use rediss://',
    ]);
    const withPassword = messages({ cluster: { nodes: ['rediss://ttv:hunter22@h:7000'] } });
    expect(withPassword).toEqual([
      'redis.cluster.nodes.0: must not carry a user or password: give them as redis.username and redis.password',
    ]);
    expect(withPassword.join()).not.toContain('hunter22');
    expect(messages({ cluster: { nodes: ['rediss://h:7000/2'] } })).toEqual([
      'redis.cluster.nodes.0: must be scheme://host:port only (no database, path or options)',
    ]);
    expect(messages({ sentinel: { name: 'm', sentinels: ['rediss://h'] } })).toEqual([
      'redis.sentinel.sentinels.0: must name the port ("rediss://host:port")',
    ]);
    expect(messages({ cluster: { nodes: ['http://h:7000'] } })).toEqual([
      'redis.cluster.nodes.0: must be "host:port", "rediss://host:port" or {host, port}',
    ]);
  });

  it('takes the user from redis.username or from the URL, not both', () => {
    expect(redisEndpoint(redisOf({ url: 'rediss://ttv@h:6380/0', password: 'pw-1234' }))).toMatchObject({
      kind: 'standalone',
      url: 'rediss://ttv@h:6380/0',
      username: null,
      password: 'pw-1234',
      tls: { rejectUnauthorized: true },
    });
    expect(messages({ url: 'rediss://ttv@h:6380/0', username: 'other' })).toEqual([
      'redis.username: cannot be combined with a user name in redis.url: give it in one place',
    ]);
    // host/port with redis.tls: a rediss:// URL.
    expect(redisEndpoint(redisOf({ host: 'h', port: 6380, username: 'ttv', tls: {} }))).toMatchObject({
      url: 'rediss://h:6380/0',
      username: 'ttv',
    });
  });
});

describe('redis.tls files', () => {
  it('reads the CA, the client certificate and its key at startup, with servername and verification on by default', async () => {
    const redis = redisOf({
      cluster: { nodes: ['h:7000'] },
      tls: { ca: ca.caPath, cert: ca.clientCert, key: ca.clientKey, servername: 'redis.internal' },
    });
    const endpoint = redisEndpoint(redis);
    expect(endpoint.tls).toEqual({
      ca: await readFile(ca.caPath),
      cert: await readFile(ca.clientCert),
      key: await readFile(ca.clientKey),
      servername: 'redis.internal',
      rejectUnauthorized: true,
    });
    // Read once per loaded config: every connection of the process shares the contents.
    expect(redisEndpoint(redis)).toBe(endpoint);
  });

  it('names the field of a missing, empty or unusable file, never its contents', async () => {
    const missing = configErrorOf(() =>
      redisEndpoint(redisOf({ cluster: { nodes: ['h:7000'] }, tls: { ca: join(dir, 'nope.pem') } })),
    );
    expect(missing.issues).toEqual([{ key: 'redis.tls.ca', message: `cannot read ${join(dir, 'nope.pem')} (ENOENT)` }]);
    const empty = join(dir, 'empty.pem');
    await writeFile(empty, '');
    expect(configErrorOf(() => redisEndpoint(redisOf({ url: 'rediss://h:1', tls: { ca: empty } }))).message).toBe(
      `redis.tls.ca: ${empty} is empty`,
    );
    // The server's key with the client's certificate: a pair that does not match.
    const mismatch = configErrorOf(() =>
      redisEndpoint(redisOf({ url: 'rediss://h:1', tls: { cert: ca.clientCert, key: ca.serverKey } })),
    );
    expect(mismatch.issues[0]!.key).toBe('redis.tls.key');
    expect(mismatch.message).toMatch(/is not a PEM private key \(without passphrase\) of the certificate/);
    const keyBody = (await readFile(ca.serverKey, 'utf8')).split('\n')[1]!;
    expect(mismatch.message).not.toContain(keyBody);
    const notPem = join(dir, 'not.pem');
    await writeFile(notPem, 'not a certificate');
    expect(
      configErrorOf(() => redisEndpoint(redisOf({ url: 'rediss://h:1', tls: { ca: notPem } }))).issues[0]!.key,
    ).toBe('redis.tls.ca');
  });

  it('wants a client certificate and its key together', () => {
    expect(messages({ url: 'rediss://h:1', tls: { cert: 'c.pem' } })).toEqual([
      'redis.tls.key: must be set together with redis.tls.cert (a client certificate and its key)',
    ]);
    expect(messages({ url: 'rediss://h:1', tls: { key: 'k.pem' } })).toEqual([
      'redis.tls.cert: must be set together with redis.tls.key (a client certificate and its key)',
    ]);
    expect(messages({ url: 'rediss://h:1', tls: { ca: 'ca.pem', verify: false } }).join()).toMatch(/verify/);
  });

  it('resolves the files against the config file, warns when verification is off, and redacts only secrets in a dump', async () => {
    const file = join(dir, 'ttv.yaml');
    await writeFile(
      file,
      [
        'redis:',
        '  cluster: { nodes: ["rediss://127.0.0.1:7000"] }',
        '  username: ttv',
        '  password: acl-secret-1234',
        '  tls: { ca: ca.pem, cert: client.pem, key: client-key.pem, reject_unauthorized: false }',
        '  sentinel: null',
        '',
      ].join('\n'),
    );
    const { config, warnings } = loadConfig({ files: [file], env: {} });
    expect(config.redis!.tls).toMatchObject({
      ca: join(dir, 'ca.pem'),
      cert: join(dir, 'client.pem'),
      key: join(dir, 'client-key.pem'),
    });
    expect(warnings.join('\n')).toMatch(/redis\.tls\.reject_unauthorized is false/);
    const dump = JSON.stringify(redactConfig(config));
    expect(dump).not.toContain('acl-secret-1234');
    expect(dump).toContain('"username":"ttv"');
    // Paths are shown (the key file's contents never enter the config).
    expect(dump).toContain(join(dir, 'client-key.pem'));
  });
});
