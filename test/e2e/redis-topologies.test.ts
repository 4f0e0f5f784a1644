// ttv on a Redis Cluster and on a Sentinel-managed master, for real: private redis-server processes
// on loopback, an API process (`ttv serve --no-worker`) and separate `ttv worker` processes.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allStarted, startTtv, type TtvProcess } from '../support/ttv-process.js';
import { startRedisCluster } from '../support/redis-cluster.js';
import { startRedisSentinel } from '../support/redis-sentinel.js';
import { waitForProgress } from '../support/wait-for.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ttv-topology-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function ttv(args: string[]): Promise<TtvProcess> {
  const p = await startTtv(args);
  cleanups.push(() => p.kill());
  return p;
}

async function writeConfig(dir: string, name: string, redisYaml: string, extra: string[] = []): Promise<string> {
  const file = join(dir, name);
  await writeFile(
    file,
    [
      `redis: ${redisYaml}`,
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

async function statusCounts(url: string, ids: string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const id of ids) {
    const res = await fetch(`${url}/v1/jobs/${id}`);
    const status =
      res.status === 200 ? String(((await res.json()) as { status: string }).status) : `http_${res.status}`;
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return counts;
}

/** Waits until every job is finished; fails only when the number finished stops growing. */
async function allFinished(url: string, ids: string[], what: string): Promise<void> {
  await waitForProgress(
    async () => {
      const finished = (await statusCounts(url, ids)).get('finished') ?? 0;
      return { done: finished === ids.length, progress: finished };
    },
    { what, intervalMs: 200 },
  );
}

async function completions(url: string, id: string): Promise<number> {
  const { lines } = (await (await fetch(`${url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] };
  return lines.filter((l) => l.includes('Video generation completed')).length;
}

describe('Redis Cluster', () => {
  it('runs 20 jobs (and 5 more, up to the shared rate limit) to finished through 2 workers, each process pointed at a different single node', async () => {
    const cluster = await startRedisCluster(3);
    cleanups.push(() => cluster.stop());
    const dir = await tempDir();
    const prefix = `ttv-e2e-${randomUUID().slice(0, 8)}`;
    // One node each: the client discovers the rest and follows MOVED to the slot's owner.
    const configs = await Promise.all(
      cluster.ports.map((port, i) =>
        writeConfig(dir, `node-${i}.yaml`, `{ cluster: { nodes: ["127.0.0.1:${port}"] }, key_prefix: "${prefix}" }`, [
          'security: { rate_limit_per_minute: 25 }',
        ]),
      ),
    );
    const api = await ttv(['serve', '--no-worker', '--port', '0', '--config', configs[0]!, '--data-dir', dir]);
    await allStarted([
      ttv(['worker', '--config', configs[1]!, '--data-dir', dir]),
      ttv(['worker', '--config', configs[2]!, '--data-dir', dir]),
    ]);
    await waitForProgress(
      async () => {
        const res = await fetch(`${api.url}/readyz`);
        const body = (await res.json()) as { live_workers: number };
        return { done: res.status === 200 && body.live_workers === 2, progress: body.live_workers };
      },
      { what: 'readiness with 2 live workers' },
    );

    const ids: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const res = await post(api.url, `Cluster job ${i}.`);
      expect(res.status).toBe(202);
      ids.push(((await res.json()) as { id: string }).id);
    }
    // The rate-limit counters live on the Cluster too: 25 submissions a minute, the 26th refused
    // (asked at once, well inside the minute the first submission opened).
    const more: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      const res = await post(api.url, `Up to the limit ${i}.`);
      more.push(res.status);
      if (res.status === 202) ids.push(((await res.json()) as { id: string }).id);
      else await res.arrayBuffer();
    }
    expect(more).toEqual([202, 202, 202, 202, 202, 429]);
    await allFinished(api.url, ids, '25 jobs finished on the cluster');
    for (const id of ids) expect(await completions(api.url, id)).toBe(1);

    // Every key of the store is in the one slot of its {tag}, so it lives on one node only.
    const { Cluster } = await import('ioredis');
    const client = new Cluster([{ host: '127.0.0.1', port: cluster.ports[0]! }]);
    cleanups.push(async () => {
      client.disconnect();
    });
    await once(client, 'ready');
    const perNode = await Promise.all(client.nodes('master').map((node) => node.keys(`*${prefix}*`)));
    const holding = perNode.filter((keys) => keys.length > 0);
    expect(holding).toHaveLength(1);
    expect(holding[0]!.every((k) => k.startsWith(`{${prefix}}:`))).toBe(true);
    // Delivery is the store's own scripts' (no BullMQ keys): the submission counter and the layout
    // marker the claim writes are among them.
    expect(holding[0]).toEqual(expect.arrayContaining([`{${prefix}}:seq`, `{${prefix}}:layout`, `{${prefix}}:jobs`]));
  });
});

describe('Redis Sentinel', () => {
  it('fails over under 20 jobs: 503 during the failover, then resumes; every accepted job ends exactly once', async () => {
    const sentinel = await startRedisSentinel();
    cleanups.push(() => sentinel.stop());
    const dir = await tempDir();
    const sentinels = sentinel.sentinelPorts.map((p) => `{ host: "127.0.0.1", port: ${p} }`).join(', ');
    const config = await writeConfig(
      dir,
      'ttv.yaml',
      `{ sentinel: { name: "${sentinel.name}", sentinels: [${sentinels}] }, key_prefix: "ttv-e2e-${randomUUID().slice(0, 8)}" }`,
    );
    await writeFile(config, 'worker: { lease_seconds: 10, heartbeat_seconds: 0.5 }\n', { flag: 'a' });
    const common = ['--config', config, '--data-dir', dir];
    const api = await ttv(['serve', '--no-worker', '--port', '0', ...common]);
    await allStarted([ttv(['worker', ...common]), ttv(['worker', ...common])]);
    await waitForProgress(
      async () => {
        const res = await fetch(`${api.url}/readyz`);
        const body = (await res.json()) as { live_workers: number };
        return { done: res.status === 200 && body.live_workers === 2, progress: body.live_workers };
      },
      { what: 'readiness with 2 live workers' },
    );

    const accepted: string[] = [];
    const accept = async (prompt: string): Promise<number> => {
      const res = await post(api.url, prompt);
      if (res.status === 202) accepted.push(((await res.json()) as { id: string }).id);
      else await res.arrayBuffer();
      return res.status;
    };
    for (let i = 0; i < 10; i += 1) expect(await accept(`Before failover ${i}.`)).toBe(202);

    const oldMaster = await sentinel.masterPort();
    await sentinel.kill(oldMaster);
    // Submit until one is refused (the failover is under way), then until ten more are accepted.
    const statuses: number[] = [];
    let refused = 0;
    while (refused === 0) {
      const status = await accept(`During failover ${statuses.length}.`);
      statuses.push(status);
      if (status === 503) refused += 1;
      else expect(status).toBe(202);
    }
    const before = accepted.length;
    await waitForProgress(
      async () => {
        const status = await accept(`After failover ${statuses.length}.`);
        statuses.push(status);
        expect([202, 503]).toContain(status);
        return { done: accepted.length >= Math.max(before + 1, 20), progress: accepted.length };
      },
      { what: 'submissions to be accepted again after the failover', intervalMs: 100 },
    ).catch(async (err: Error) => {
      // Which side stalled: the Sentinels (no new master yet) or the API (a new master it does not use).
      const now = await sentinel.masterPort().catch((e: Error) => `unknown (${e.message})`);
      throw new Error(
        `${err.message}; the Sentinels' master is now ${now} (was ${oldMaster}); last answers: ${statuses.slice(-5).join(', ')}`,
      );
    });
    expect(await sentinel.masterPort()).not.toBe(oldMaster);
    expect(statuses).toContain(503);

    await allFinished(api.url, accepted, 'every accepted job finished after the failover');
    for (const id of accepted) expect(await completions(api.url, id)).toBe(1);
    for (const status of ['queued', 'started', 'progress'] as const) {
      const list = (await (await fetch(`${api.url}/v1/jobs?status=${status}&limit=100`)).json()) as { jobs: unknown[] };
      expect(list.jobs).toHaveLength(0);
    }
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
  });
});
