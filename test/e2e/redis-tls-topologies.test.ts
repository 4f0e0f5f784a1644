// ttv on Redis as the clouds sell it, for real: TLS-only redis-server processes (no plain port) with
// a certificate of a CA this file makes, the default user off and one ACL user, as a 3-master Cluster,
// a Sentinel setup and one server; an API process (`ttv serve --no-worker`) and a `ttv worker` on
// each, configured with rediss:// URLs, redis.username and redis.tls.
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type RedisEndpoint } from '../../src/stores/redis-connection.js';
import { allStarted, runTtv, startTtv, type TtvProcess } from '../support/ttv-process.js';
import { startRedisCluster } from '../support/redis-cluster.js';
import { startRedisSentinel } from '../support/redis-sentinel.js';
import { freePort, launchRedis } from '../support/redis-server.js';
import { secureServerArgs, type RedisSecurity } from '../support/redis-secure.js';
import { testCertificateAuthority } from '../support/self-signed.js';
import { waitForProgress } from '../support/wait-for.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

let caDir: string;
let security: RedisSecurity;
beforeAll(async () => {
  caDir = await mkdtemp(join(tmpdir(), 'ttv-redis-tls-ca-'));
  const ca = testCertificateAuthority(caDir);
  security = { ca, user: 'ttv', password: `acl-${randomBytes(8).toString('hex')}`, clientCertificates: false };
});
afterAll(async () => {
  await rm(caDir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ttv-redis-tls-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function ttv(args: string[]): Promise<TtvProcess> {
  const p = await startTtv(args);
  cleanups.push(() => p.kill());
  return p;
}

async function writeConfig(dir: string, redisLines: string[], extra: string[] = []): Promise<string> {
  const file = join(dir, 'ttv.yaml');
  await writeFile(
    file,
    [
      'redis:',
      ...redisLines.map((l) => `  ${l}`),
      ...extra,
      'segment_duration_seconds: 0.5',
      'procedural: { width: 160, height: 90, fps: 12, max_segments: 1 }',
      '',
    ].join('\n'),
  );
  return file;
}

const post = (url: string, prompt: string) =>
  fetch(`${url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt }),
  });

async function submit(url: string, count: number, what: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const res = await post(url, `${what} job ${i}.`);
    expect(res.status).toBe(202);
    ids.push(((await res.json()) as { id: string }).id);
  }
  return ids;
}

/** Waits until every job is finished; fails only when the number finished stops growing. */
async function allFinished(url: string, ids: string[], what: string): Promise<void> {
  await waitForProgress(
    async () => {
      let finished = 0;
      for (const id of ids) {
        const res = await fetch(`${url}/v1/jobs/${id}`);
        const status = res.status === 200 ? ((await res.json()) as { status: string }).status : `http_${res.status}`;
        expect(['queued', 'started', 'progress', 'finished']).toContain(status);
        if (status === 'finished') finished += 1;
      }
      return { done: finished === ids.length, progress: finished };
    },
    { what, intervalMs: 200 },
  );
}

async function completions(url: string, id: string): Promise<number> {
  const { lines } = (await (await fetch(`${url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] };
  return lines.filter((l) => l.includes('Video generation completed')).length;
}

async function readyWithWorkers(url: string, workers: number): Promise<void> {
  await waitForProgress(
    async () => {
      const res = await fetch(`${url}/readyz`);
      const body = (await res.json()) as { live_workers: number };
      return { done: res.status === 200 && body.live_workers === workers, progress: body.live_workers };
    },
    { what: `readiness with ${workers} live worker(s)` },
  );
}

/** An API process and a worker on one config, ready; every job of `count` runs to finished exactly once. */
async function runJobs(config: string, dir: string, count: number, what: string): Promise<TtvProcess[]> {
  const common = ['--config', config, '--data-dir', dir];
  const [api, worker] = await allStarted([
    ttv(['serve', '--no-worker', '--port', '0', ...common]),
    ttv(['worker', ...common]),
  ]);
  await readyWithWorkers(api.url, 1);
  const ids = await submit(api.url, count, what);
  // The rate-limit counters live on the same Redis, through the same TLS connection settings:
  // rate_limit_per_minute is `count`, so the next submission of the minute is refused.
  const over = await post(api.url, `${what} over the limit.`);
  await over.arrayBuffer();
  expect(over.status).toBe(429);
  await allFinished(api.url, ids, `${count} jobs finished (${what})`);
  for (const id of ids) expect(await completions(api.url, id)).toBe(1);
  return [api, worker];
}

/** The users of every client connected to a TLS node (CLIENT LIST), asked as the ACL user. */
async function clientUsers(port: number, clientCertificate = false): Promise<string[]> {
  const ca = security.ca;
  const client = new Redis({
    host: '127.0.0.1',
    port,
    username: security.user,
    password: security.password,
    tls: {
      ca: await readFile(ca.caPath),
      ...(clientCertificate ? { cert: await readFile(ca.clientCert), key: await readFile(ca.clientKey) } : {}),
    },
    lazyConnect: true,
  });
  try {
    await client.connect();
    const list = (await client.call('CLIENT', 'LIST')) as string;
    return list
      .trim()
      .split('\n')
      .map((line) => /\buser=(\S+)/.exec(line)?.[1] ?? '?');
  } finally {
    client.disconnect();
  }
}

function expectNoSecrets(procs: TtvProcess[], secrets: string[]): void {
  for (const p of procs) for (const secret of secrets) expect(p.output()).not.toContain(secret);
}

const tlsYaml = () => `tls: { ca: "${security.ca.caPath}" }`;

describe('Redis Cluster, TLS-only with an ACL user', () => {
  it('runs 10 jobs to finished with the config pointing at rediss:// nodes', async () => {
    const cluster = await startRedisCluster(3, security);
    cleanups.push(() => cluster.stop());
    const dir = await tempDir();
    const prefix = `ttv-tls-${randomUUID().slice(0, 8)}`;
    const nodes = cluster.ports.map((p) => `"rediss://127.0.0.1:${p}"`).join(', ');
    const config = await writeConfig(
      dir,
      [
        `cluster: { nodes: [${nodes}] }`,
        `username: ${security.user}`,
        `password: "${security.password}"`,
        tlsYaml(),
        `key_prefix: "${prefix}"`,
      ],
      ['security: { rate_limit_per_minute: 10 }'],
    );
    const procs = await runJobs(config, dir, 10, 'Cluster over TLS');

    // Every connection to every node (the processes' and this probe's) logged in as the ACL user;
    // the default user is off and the nodes have no plain port.
    const users = (await Promise.all(cluster.ports.map((p) => clientUsers(p)))).flat();
    expect(users.length).toBeGreaterThan(cluster.ports.length);
    expect(new Set(users)).toEqual(new Set([security.user]));
    const client = connectRedis(
      {
        kind: 'cluster',
        nodes: [{ host: '127.0.0.1', port: cluster.ports[0]! }],
        username: security.user,
        password: security.password,
        tls: { ca: await readFile(security.ca.caPath), rejectUnauthorized: true },
      },
      { lazyConnect: false },
    );
    cleanups.push(async () => {
      client.disconnect();
    });
    await once(client, 'ready');
    const perNode = await Promise.all(
      (client as unknown as Cluster).nodes('master').map((node) => node.keys(`*${prefix}*`)),
    );
    expect(perNode.filter((keys) => keys.length > 0)).toHaveLength(1);
    expectNoSecrets(procs, [security.password]);
  });
});

describe('Redis Sentinel, TLS-only with ACL users', () => {
  it('runs 10 jobs to finished with the config pointing at rediss:// Sentinels', async () => {
    const sentinel = await startRedisSentinel(security);
    cleanups.push(() => sentinel.stop());
    const dir = await tempDir();
    const sentinels = sentinel.sentinelPorts.map((p) => `"rediss://127.0.0.1:${p}"`).join(', ');
    const config = await writeConfig(
      dir,
      [
        'sentinel:',
        `  name: ${sentinel.name}`,
        `  sentinels: [${sentinels}]`,
        `  sentinel_username: ${sentinel.sentinelUser!.user}`,
        `  sentinel_password: "${sentinel.sentinelUser!.password}"`,
        `username: ${security.user}`,
        `password: "${security.password}"`,
        tlsYaml(),
        `key_prefix: "ttv-tls-${randomUUID().slice(0, 8)}"`,
      ],
      ['security: { rate_limit_per_minute: 10 }'],
    );
    const procs = await runJobs(config, dir, 10, 'Sentinel over TLS');
    const users = await clientUsers(await sentinel.masterPort());
    expect(new Set(users)).toEqual(new Set([security.user]));
    expectNoSecrets(procs, [security.password, sentinel.sentinelUser!.password]);
  });
});

describe('one Redis server, TLS-only with an ACL user and client certificates', () => {
  let server: ChildProcess | undefined;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    server = await launchRedis([
      ...secureServerArgs(port, { ...security, clientCertificates: true }),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ]);
  });
  afterAll(async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      server.kill('SIGKILL');
      await once(server, 'exit');
    }
  });

  const endpoint = async (tls: Partial<NonNullable<RedisEndpoint['tls']>>): Promise<RedisEndpoint> => ({
    kind: 'standalone',
    url: `rediss://127.0.0.1:${port}/0`,
    username: security.user,
    password: security.password,
    tls: {
      cert: await readFile(security.ca.clientCert),
      key: await readFile(security.ca.clientKey),
      rejectUnauthorized: true,
      ...tls,
    },
  });

  /** The first error of a connection (none within ioredis's connect timeout means it came up). */
  async function connectionError(where: RedisEndpoint): Promise<string> {
    const client = connectRedis(where, { lazyConnect: false, retryStrategy: () => null });
    try {
      const [err] = (await Promise.race([once(client, 'error'), once(client, 'ready').then(() => [null])])) as [
        Error | null,
      ];
      return err ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : 'ready';
    } finally {
      client.disconnect();
    }
  }

  it('runs jobs with a rediss:// URL carrying the user, redis.password and a client certificate', async () => {
    const dir = await tempDir();
    const config = await writeConfig(
      dir,
      [
        `url: "rediss://${security.user}@127.0.0.1:${port}/0"`,
        `password: "${security.password}"`,
        `tls: { ca: "${security.ca.caPath}", cert: "${security.ca.clientCert}", key: "${security.ca.clientKey}" }`,
        `key_prefix: "ttv-tls-${randomUUID().slice(0, 8)}"`,
      ],
      ['security: { rate_limit_per_minute: 3 }'],
    );
    const procs = await runJobs(config, dir, 3, 'one server over TLS');
    expect(new Set(await clientUsers(port, true))).toEqual(new Set([security.user]));
    const key = (await readFile(security.ca.clientKey, 'utf8')).split('\n')[1]!;
    expectNoSecrets(procs, [security.password, key]);
  });

  it('keeps certificate checks on: an unknown CA or a name the certificate does not carry fails', async () => {
    const ca = await readFile(security.ca.caPath);
    expect(await connectionError(await endpoint({ ca }))).toBe('ready');
    // The system's CAs do not know the test CA.
    expect(await connectionError(await endpoint({}))).toMatch(/certificate|CERT/i);
    // 127.0.0.1 is in the certificate; "redis.example" is not.
    expect(await connectionError(await endpoint({ ca, servername: 'redis.example' }))).toMatch(
      /ERR_TLS_CERT_ALTNAME_INVALID|does not match/,
    );
    expect(await connectionError(await endpoint({ ca, servername: 'localhost' }))).toBe('ready');
  });

  it('refuses to start when a TLS file cannot be read, naming the field', async () => {
    const dir = await tempDir();
    const config = await writeConfig(dir, [
      `url: "rediss://127.0.0.1:${port}/0"`,
      `username: ${security.user}`,
      `password: "${security.password}"`,
      'tls: { ca: missing-ca.pem }',
    ]);
    const check = await runTtv(['config', 'check', '--config', config]);
    expect(check.code).toBe(2);
    expect(check.stderr).toContain(`redis.tls.ca: cannot read ${join(dir, 'missing-ca.pem')} (ENOENT)`);
    expect(check.stderr + check.stdout).not.toContain(security.password);
    const serve = await runTtv(['serve', '--port', '0', '--config', config, '--data-dir', dir]);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain('redis.tls.ca: cannot read');
  });
});
