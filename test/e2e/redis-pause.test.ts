// Redis paused for longer than the lease, on real processes: `worker.lease_seconds: 6`, four jobs
// running in one `ttv worker` with free slots, then `redis-cli CLIENT PAUSE 8000 ALL`. Redis's clock
// runs on while nobody can renew, so the leases are past their expiry when it resumes; the worker's
// lease recovery must not take the jobs from the attempts still running them (a recovery that waited
// out the pause is past its deadline, and the holders' renewals queued during the pause come first),
// so each job stays with the attempt that holds it. Every job ends exactly once, none is left
// `progress`, and none gets a second attempt.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTtv, type TtvProcess } from '../support/ttv-process.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { waitFor, waitForProgress } from '../support/wait-for.js';

const run = promisify(execFile);
let redis: RedisServer;
let dataDir: string;
const procs: TtvProcess[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  dataDir = await mkdtemp(join(tmpdir(), 'ttv-pause-'));
});
afterAll(async () => {
  await Promise.all(procs.map((p) => p.kill()));
  await redis?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

const json = async (url: string) => (await (await fetch(url)).json()) as Record<string, unknown>;
const TERMINAL = ['finished', 'failed', 'canceled'];

it('survives CLIENT PAUSE 8000 ALL past a 6 s lease: each of 4 running jobs ends once, with one attempt', async () => {
  const config = join(dataDir, 'ttv.yaml');
  await writeFile(
    config,
    [
      `redis: { url: "${redis.url}", key_prefix: "ttv-pause-${randomUUID().slice(0, 8)}" }`,
      'segment_duration_seconds: 0.5',
      // Each job takes ~20 s in its clip (long enough for recovery to look at it after the pause), so all four are mid-attempt when Redis pauses and still run after.
      'procedural: { width: 64, height: 36, fps: 12, max_segments: 1, simulated_latency_seconds: 20 }',
      'worker: { concurrency: 8, lease_seconds: 6 }',
      '',
    ].join('\n'),
  );
  const args = ['--config', config, '--data-dir', dataDir];
  const api = await startTtv(['serve', '--no-worker', '--port', '0', ...args]);
  procs.push(api);
  procs.push(await startTtv(['worker', ...args]));
  const ids = await Promise.all(
    [1, 2, 3, 4].map(async (i) => {
      const res = await fetch(`${api.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `Paused job ${i}.` }),
      });
      expect(res.status).toBe(202);
      return String(((await res.json()) as { id: string }).id);
    }),
  );
  await waitFor(
    async () => {
      const statuses = await Promise.all(
        ids.map(async (id) => String((await json(`${api.url}/v1/jobs/${id}`)).status)),
      );
      return statuses.every((s) => s === 'progress') ? true : null;
    },
    { timeoutMs: 30_000, what: 'all four jobs to run' },
  );

  await run('redis-cli', ['-p', String(redis.port), 'CLIENT', 'PAUSE', '8000', 'ALL']);

  let final: Record<string, unknown>[] = [];
  await waitForProgress(
    async () => {
      final = await Promise.all(ids.map((id) => json(`${api.url}/v1/jobs/${id}`)));
      const ended = final.filter((j) => TERMINAL.includes(String(j.status))).length;
      return { done: ended === ids.length, progress: ended };
    },
    { stallMs: 60_000, intervalMs: 250, what: 'all four jobs to end' },
  );

  for (const job of final) {
    expect(job).toMatchObject({ status: 'finished', progress: 100, error: null });
    const { lines } = (await (await fetch(`${api.url}/v1/jobs/${job.id}/logs?tail=0`)).json()) as { lines: string[] };
    // One attempt: started once, never handed over, finished once.
    expect(lines.filter((l) => l.includes('Video generation started (attempt'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('Video generation started (attempt 1,'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('Worker lost'))).toBe(false);
    expect(lines.filter((l) => l.includes('Video generation completed'))).toHaveLength(1);
  }
  // The queue is settled too: nothing waits or runs.
  await waitFor(
    async () => {
      const m = (await (await fetch(`${api.url}/metrics`, { headers: { accept: 'application/json' } })).json()) as {
        queue_depth: number;
        active_jobs: number;
      };
      return m.queue_depth === 0 && m.active_jobs === 0 ? true : null;
    },
    { timeoutMs: 30_000, what: 'an empty queue' },
  );
  expect(((await json(`${api.url}/v1/jobs?status=progress`)).jobs as unknown[]).length).toBe(0);
}, 0);
