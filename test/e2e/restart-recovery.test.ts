// Kill the whole server process (SIGKILL) in the middle of a job, start it again on the same data
// dir: the interrupted job is retried and finishes once; nothing is lost.
import { mkdtemp, rm, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTtv, type TtvProcess } from '../support/ttv-process.js';
import { waitFor } from '../support/wait-for.js';

const procs: TtvProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function job(url: string, id: string) {
  return (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
}

describe('restart recovery', () => {
  it('retries a job interrupted by kill -9 and finishes it exactly once', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ttv-restart-'));
    dirs.push(dataDir);
    const configFile = join(dataDir, 'ttv.yaml');
    await writeFile(
      configFile,
      [
        'segment_duration_seconds: 1',
        'procedural: { width: 160, height: 90, fps: 12, simulated_latency_seconds: 1.5 }',
        'worker: { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 3 }',
        '',
      ].join('\n'),
    );
    const args = ['serve', '--config', configFile, '--port', '0', '--data-dir', dataDir];
    const first = await startTtv(args);
    procs.push(first);
    const res = await fetch(`${first.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'One. Two.' }), // two segments: the kill lands in the first
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await waitFor(async () => ((await job(first.url, id)).stage === 'segments' ? true : null), {
      timeoutMs: 20_000,
      what: 'segment stage',
    });
    const before = await job(first.url, id);
    await first.kill('SIGKILL');

    const second = await startTtv(args);
    procs.push(second);
    const finished = await waitFor(
      async () => {
        const j = await job(second.url, id);
        return j.status === 'finished' || j.status === 'failed' ? j : null;
      },
      { timeoutMs: 60_000, what: 'job to finish after restart' },
    );
    expect(finished.status).toBe('finished');
    expect(finished.progress).toBe(100);
    expect(finished.started_at).toBe(before.started_at);
    const { lines } = (await (await fetch(`${second.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] };
    expect(lines.some((l) => /Worker lost while running the job \(attempt 1 of 3\); retrying/.test(l))).toBe(true);
    expect(lines.filter((l) => l.includes('Video generation completed'))).toHaveLength(1);
    expect(lines.some((l) => l.includes('Video generation started (attempt 2,'))).toBe(true);
    const list = (await (await fetch(`${second.url}/v1/jobs?limit=100`)).json()) as { jobs: unknown[] };
    expect(list.jobs).toHaveLength(1);
    // The crashed attempt's scratch dir is swept.
    await waitFor(async () => ((await readdir(join(dataDir, 'tmp'))).length === 0 ? true : null), {
      what: 'temp dirs swept',
    });
  });
});
