// The scaled path for real: a private redis-server, an API process (`ttv serve --no-worker`) and
// separate `ttv worker` processes sharing the data dir.
import { readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allStarted, type TtvProcess } from '../support/ttv-process.js';
import { redisTtvFixture } from '../support/redis-ttv-fixture.js';
import { waitFor, waitForProgress } from '../support/wait-for.js';
import { readSse } from '../support/sse.js';
import { jobLogs, jobOf, submitJob } from '../support/job-audit.js';
import { pidsMentioning } from '../support/process-gone.js';

const fx = redisTtvFixture('scale');
const { procs } = fx;

interface Cluster {
  api: TtvProcess;
  workers: TtvProcess[];
  dataDir: string;
  configFile: string;
  addWorker(): Promise<TtvProcess>;
}

async function cluster(workers: number, yaml: string[]): Promise<Cluster> {
  const { dataDir, configFile, start } = await fx.setup([
    ...(yaml.some((l) => l.startsWith('segment_duration_seconds')) ? [] : ['segment_duration_seconds: 0.5']),
    ...yaml,
  ]);
  const addWorker = () => start('worker');
  // The API first (its store connection settles while the workers start), then the workers side by side.
  const api = await start('api');
  const ws = await allStarted(Array.from({ length: workers }, addWorker));
  return { api, workers: ws, dataDir, configFile, addWorker };
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(d, entry.name));
      else out.push(join(d, entry.name));
    }
  };
  walk(dir);
  return out;
}

/** The `ttv worker` process holding a job, from the worker id in its start log line. */
async function holder(c: Cluster, id: string, attempt: number): Promise<TtvProcess> {
  return waitFor(
    async () => {
      const line = (await jobLogs(c.api.url, id)).find((l) =>
        l.includes(`Video generation started (attempt ${attempt},`),
      );
      const workerId = line ? /worker ([^)]+)\)/.exec(line)?.[1] : undefined;
      return workerId ? (procs.find((p) => p.url === workerId) ?? null) : null;
    },
    { timeoutMs: 20_000, what: `attempt ${attempt} of ${id} to start` },
  );
}

describe('Redis with separate worker processes', () => {
  it('runs 18 jobs across 3 worker processes, each finished exactly once', async () => {
    const c = await cluster(3, [
      'procedural: { width: 160, height: 90, fps: 12, max_segments: 1 }',
      'worker: { concurrency: 2 }',
    ]);
    // Ready with one live worker already; each worker counts once its first heartbeat is in Redis.
    let live = 0;
    await waitForProgress(
      async () => {
        const res = await fetch(`${c.api.url}/readyz`);
        live = res.status === 200 ? ((await res.json()) as { live_workers: number }).live_workers : 0;
        return { done: live >= 3, progress: live };
      },
      { what: '3 live workers in /readyz' },
    );
    expect(live).toBe(3);
    const ids = await Promise.all(Array.from({ length: 18 }, (_, i) => submitJob(c.api.url, `Job number ${i}.`)));
    expect(new Set(ids).size).toBe(18);
    await waitFor(
      async () => {
        const list = (await (await fetch(`${c.api.url}/v1/jobs?status=finished&limit=100`)).json()) as {
          jobs: unknown[];
        };
        return list.jobs.length === 18 ? true : null;
      },
      { timeoutMs: 120_000, what: '18 finished jobs' },
    );
    const artifacts = filesUnder(join(c.dataDir, 'artifacts')).filter((f) => f.endsWith('final_video.mp4'));
    expect(artifacts).toHaveLength(18);
    const workersUsed = new Set<string>();
    for (const id of ids) {
      const lines = await jobLogs(c.api.url, id);
      expect(lines.filter((l) => l.includes('Video generation completed'))).toHaveLength(1);
      workersUsed.add(/worker ([^)]+)\)/.exec(lines.find((l) => l.includes('Video generation started'))!)![1]!);
    }
    expect(workersUsed.size).toBeGreaterThan(1);
    // The event stream works on the Redis adapter too: the whole journal, ending on finished.
    const stream = await readSse(`${c.api.url}/v1/jobs/${ids[0]}/events`);
    expect(stream.ended).toBe(true);
    expect(stream.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data).status)).toEqual([
      'queued',
      'started',
      'progress',
      'finished',
    ]);
    expect(
      stream.events.some((e) => e.event === 'log' && JSON.parse(e.data).line.includes('Video generation completed')),
    ).toBe(true);
    const metrics = await (await fetch(`${c.api.url}/metrics`)).text();
    expect(metrics).toMatch(/ttv_workers 3/);
    expect(metrics).toMatch(/ttv_queue_depth\{state="waiting"\} 0/);
  });

  it('recovers a job from a worker killed with SIGKILL, and fails one that kills its workers too often', async () => {
    const c = await cluster(2, [
      'procedural: { width: 160, height: 90, fps: 12, max_segments: 1, simulated_latency_seconds: 30 }',
      'worker: { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 2 }',
    ]);
    const id = await submitJob(c.api.url, 'A job whose worker dies.');
    const first = await holder(c, id, 1);
    await first.kill('SIGKILL');
    const second = await holder(c, id, 2);
    expect(second).not.toBe(first);
    // The second holder dies too: the attempt limit (2) is reached and the job fails with the reason.
    await c.addWorker();
    await second.kill('SIGKILL');
    const failed = await waitFor(
      async () => {
        const j = await jobOf(c.api.url, id);
        return j.status === 'failed' ? j : null;
      },
      { timeoutMs: 30_000, what: 'job to fail after two crashes' },
    );
    expect(String(failed.error)).toMatch(/attempt limit of 2/);
    expect((await jobLogs(c.api.url, id)).filter((l) => l.includes('Video generation completed'))).toHaveLength(0);
  });

  it('completes a job on another worker after its first worker is killed, exactly once', async () => {
    const c = await cluster(2, [
      'procedural: { width: 160, height: 90, fps: 12, max_segments: 1, simulated_latency_seconds: 2 }',
      'worker: { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 3 }',
    ]);
    const id = await submitJob(c.api.url, 'Survives a crash.');
    const first = await holder(c, id, 1);
    await first.kill('SIGKILL');
    const finished = await waitFor(
      async () => {
        const j = await jobOf(c.api.url, id);
        return j.status === 'finished' ? j : null;
      },
      { timeoutMs: 30_000, what: 'job to finish on the other worker' },
    );
    expect(finished.progress).toBe(100);
    const lines = await jobLogs(c.api.url, id);
    expect(lines.filter((l) => l.includes('Video generation completed'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('Video generation started (attempt 2,'))).toBe(true);
  });

  it('cancels a job running in another process: its ffmpeg is killed and the status stays canceled', async () => {
    const c = await cluster(1, [
      'segment_duration_seconds: 40',
      'procedural: { width: 1280, height: 720, fps: 30, max_segments: 1 }',
    ]);
    const id = await submitJob(c.api.url, 'A long single shot.');
    await waitFor(async () => (pidsMentioning(id).length > 0 ? true : null), {
      timeoutMs: 20_000,
      what: 'ffmpeg in the worker',
    });
    const res = await fetch(`${c.api.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    await waitFor(async () => (pidsMentioning(id).length === 0 ? true : null), {
      timeoutMs: 10_000,
      what: 'ffmpeg to be killed',
    });
    await waitFor(async () =>
      (await readdir(join(c.dataDir, 'tmp')).catch(() => [])).some((d) => d.includes(id)) ? null : true,
    );
    expect((await jobOf(c.api.url, id)).status).toBe('canceled');
    await waitFor(async () =>
      (await jobLogs(c.api.url, id)).some((l) => l.includes('Job cancelled during processing')) ? true : null,
    );
    expect((await jobOf(c.api.url, id)).status).toBe('canceled');
  });

  it('answers 503 while Redis is down and recovers by itself when it returns', async () => {
    const c = await cluster(1, ['procedural: { width: 160, height: 90, fps: 12, max_segments: 1 }']);
    await waitFor(async () => ((await fetch(`${c.api.url}/readyz`)).status === 200 ? true : null));
    const before = await submitJob(c.api.url, 'Before the outage.');
    await fx.redis.stop();
    try {
      const readiness = await waitFor(async () => {
        const r = await fetch(`${c.api.url}/readyz`);
        return r.status === 503 ? ((await r.json()) as { components: Record<string, string> }) : null;
      });
      expect(readiness.components.job_store).toBe('unhealthy');
      const refused = await fetch(`${c.api.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'During the outage.' }),
      });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBeTruthy();
      expect(await refused.json()).toMatchObject({ error: 'ServiceUnavailable', retryable: true });
      expect((await fetch(`${c.api.url}/v1/jobs/${before}`)).status).toBe(503);
      expect((await fetch(`${c.api.url}/healthz`)).status).toBe(200);
    } finally {
      await fx.redis.restart();
    }
    await waitFor(async () => ((await fetch(`${c.api.url}/readyz`)).status === 200 ? true : null), {
      timeoutMs: 30_000,
      what: 'readiness after Redis returns',
    });
    // A fresh redis-server kept nothing (no persistence): new work flows again end to end.
    const after = await submitJob(c.api.url, 'After the outage.');
    await waitFor(async () => ((await jobOf(c.api.url, after)).status === 'finished' ? true : null), {
      timeoutMs: 30_000,
      what: 'a job after recovery',
    });
  });
});
