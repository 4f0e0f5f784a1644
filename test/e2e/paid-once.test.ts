// Every paid second is paid once: a worker killed (SIGKILL) while a 3-segment job's second segment
// renders on the Runway fake. The next process re-attaches to the running task and reuses the first
// segment's clip: exactly one create per segment, and the job's cost counted once.
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeRunwayServer } from '../fakes/runway/fake-runway-server.js';
import { startTtv, type TtvProcess } from '../support/ttv-process.js';
import { waitFor } from '../support/wait-for.js';

const KEY = 'rw-test-key-0123456789';
const runway = new FakeRunwayServer(KEY);
const procs: TtvProcess[] = [];
const dirs: string[] = [];
beforeAll(async () => { await runway.start(); });
afterAll(async () => { await runway.stop(); });
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  runway.reset();
});

async function job(url: string, id: string) {
  return (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
}

describe('paid once across a crash', () => {
  /** A ttv process on a fresh data dir, a 3-segment job, and the worker killed while task 2 renders. */
  async function killedWhileTaskTwoRenders() {
    const dataDir = await mkdtemp(join(tmpdir(), 'ttv-paid-once-'));
    dirs.push(dataDir);
    const configFile = join(dataDir, 'ttv.yaml');
    await writeFile(configFile, [
      'default_backend: runway',
      'segment_duration_seconds: 5',
      `runway_ml: { api_key: ${KEY}, base_url: "${runway.url}" }`,
      // The fake is not Runway: its polls need not respect Runway's 5 s floor (docs/vendor-behaviour.md).
      'remote_api_settings: { polling_interval: 0.05, polling_interval_floor_override: true, retry_base_seconds: 0.01, max_retries: 2, timeout: 60 }',
      'worker: { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 3 }',
      '',
    ].join('\n'));
    // Each task answers RUNNING for a while, so the kill lands while task 2 renders.
    runway.pollsUntilDone = 20;
    const args = ['serve', '--config', configFile, '--port', '0', '--data-dir', dataDir];
    const first = await startTtv(args);
    procs.push(first);
    const res = await fetch(`${first.url}/v1/jobs`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'A lighthouse at dawn. Waves on the rocks. Gulls over the sea.' }),
    });
    expect(res.status, await res.clone().text()).toBe(202);
    const { id } = (await res.json()) as { id: string };
    // Segment 1 finished (its clip downloaded) and task 2 created and polled: kill the worker now.
    await waitFor(async () => {
      const tasks = [...runway.tasks.values()];
      return tasks.length === 2 && tasks[1]!.polls >= 2 ? true : null;
    }, { timeoutMs: 60_000, what: 'task 2 rendering' });
    const task2 = [...runway.tasks.values()][1]!;
    await first.kill('SIGKILL');
    expect(task2.polls).toBeLessThan(runway.pollsUntilDone);
    return { dataDir, args, id, task2 };
  }

  it('re-attaches to the task a killed worker left rendering and reuses the finished segment: one create per segment', async () => {
    const { dataDir, args, id, task2 } = await killedWhileTaskTwoRenders();

    const second = await startTtv(args);
    procs.push(second);
    const finished = await waitFor(async () => {
      const j = await job(second.url, id);
      return j.status === 'finished' || j.status === 'failed' ? j : null;
    }, { timeoutMs: 90_000, what: 'job to end after restart' });
    expect(finished.status).toBe('finished');
    // One create per segment, and none cancelled.
    expect(runway.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/'))).toHaveLength(3);
    expect(runway.createCount).toBe(3);
    expect(runway.deletedTaskIds).toEqual([]);
    const { lines } = (await (await fetch(`${second.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] };
    expect(lines.some((l) => l.includes('Video generation started (attempt 2,'))).toBe(true);
    expect(lines.some((l) => /Segment 1: reused the clip an earlier attempt finished \(runway task [\w-]+; not paid again\)/.test(l))).toBe(true);
    expect(lines.some((l) => l.includes(`runway: re-attached to task ${task2.id}`))).toBe(true);
    // gen4_turbo at $0.05/s: three 5 s segments, each counted once.
    expect(finished.estimated_cost_usd).toBeCloseTo(0.75, 5);
    // The kept segments are removed with the job's end.
    await waitFor(async () => ((await readdir(join(dataDir, 'segments')).catch(() => [])).length === 0 ? true : null), { what: 'kept segments removed' });
  });

  it('a cancel after the crash cancels the recorded task at Runway (from the API process, no worker running)', async () => {
    const { args, id, task2 } = await killedWhileTaskTwoRenders();
    const api = await startTtv([...args, '--no-worker']);
    procs.push(api);
    const res = await fetch(`${api.url}/v1/jobs/${id}/cancel`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(200);
    await waitFor(async () => (runway.deletedTaskIds.includes(task2.id) ? true : null), { what: 'DELETE of the recorded task' });
    // Only the unfinished task: the finished segment 1 is not touched.
    expect(runway.deletedTaskIds).toEqual([task2.id]);
    const { lines } = (await (await fetch(`${api.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] };
    expect(lines.some((l) => l.includes(`Segment 2: runway: task ${task2.id} cancelled`))).toBe(true);
    expect(runway.createCount).toBe(2);
  });
});
