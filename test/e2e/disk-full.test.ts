// Disk full in the middle of a job, on a real process with SQLite: the data dir is a small tmpfs, a
// filler file takes its last byte while the job runs, so the job's ffmpeg write fails (ENOSPC) and the
// store cannot take the outcome either. The failure is recorded, not swallowed: while it cannot be
// written /readyz says why, and once the filler is deleted the job ends `failed` with a clear error and
// the store takes new jobs again. Needs root for mount; under CI=true a failed mount fails the test.
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTtv, type TtvProcess } from '../support/ttv-process.js';
import { waitFor, waitForProgress } from '../support/wait-for.js';

const procs: TtvProcess[] = [];
const mounts: string[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
  for (const dir of mounts.splice(0)) {
    try { execFileSync('umount', [dir]); } catch { /* not mounted */ }
    await rmdir(dir).catch(() => undefined);
  }
});

/** Writes zeros until the file system refuses (ENOSPC); returns the bytes written. */
async function fillDisk(file: string): Promise<number> {
  const handle = await open(file, 'w');
  const chunk = Buffer.alloc(256 * 1024);
  let written = 0;
  try {
    for (let size = chunk.length; size >= 512;) {
      try {
        const { bytesWritten } = await handle.write(chunk, 0, size);
        written += bytesWritten;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
        size = Math.floor(size / 2); // the last partial blocks
      }
    }
  } finally {
    await handle.close().catch(() => undefined);
  }
  return written;
}

const getJson = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('disk full', () => {
  it('records the failure of a job whose disk filled up, says why in /readyz meanwhile, and recovers once space is freed', async (ctx) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ttv-diskfull-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=24m', 'tmpfs', dataDir], { stdio: 'pipe' });
      mounts.push(dataDir);
    } catch (err) {
      await rmdir(dataDir).catch(() => undefined);
      if (process.env.CI === 'true') throw new Error(`cannot mount a tmpfs (needs root): ${String(err)}`);
      ctx.skip();
      return;
    }
    const config = join(dataDir, 'ttv.yaml');
    await writeFile(config, [
      'segment_duration_seconds: 2',
      // Held in its generation step long enough to fill the disk under it; each segment's ffmpeg write then fails.
      'procedural: { width: 320, height: 180, fps: 24, max_segments: 2, simulated_latency_seconds: 2 }',
      // The disk guard would keep every job queued on a 24 MB tmpfs: this test is about a disk that fills mid-job.
      'worker: { lease_seconds: 2, heartbeat_seconds: 0.3, max_attempts: 2, min_free_disk_mb: 0 }',
      '',
    ].join('\n'));
    const ttv = await startTtv(['serve', '--port', '0', '--config', config, '--data-dir', dataDir]);
    procs.push(ttv);
    await waitFor(async () => ((await getJson(`${ttv.url}/readyz`)).status === 200 ? true : null), { timeoutMs: 20_000, what: 'ready' });
    const res = await fetch(`${ttv.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'A sunrise over the sea. Waves roll in.' }) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await waitFor(async () => ((await getJson(`${ttv.url}/v1/jobs/${id}`)).body.status === 'progress' ? true : null), { timeoutMs: 20_000, what: 'the job to run' });

    const filler = join(dataDir, 'filler.bin');
    expect(await fillDisk(filler)).toBeGreaterThan(0);

    // While the outcome cannot be written, /readyz is not ready and names the cause.
    const seen: string[] = [];
    const unready = await waitFor(async () => {
      const { status, body } = await getJson(`${ttv.url}/readyz`);
      const job = (await getJson(`${ttv.url}/v1/jobs/${id}`)).body;
      seen.push(`${status} ${JSON.stringify(body.problems)} job=${String(job.status)}`);
      return status === 503 && (body.problems as unknown[]).length > 0 ? body : null;
    }, { timeoutMs: 60_000, what: 'a /readyz problem while the disk is full' }).catch((err: Error) => {
      throw new Error(`${err.message}\n${seen.slice(-5).join('\n')}`);
    });
    expect(unready.problems).toEqual(expect.arrayContaining([expect.objectContaining({ reason: 'outcome_not_recorded', message: expect.stringMatching(new RegExp(`${id}.*disk under the data dir is full`)) })]));

    // Space comes back: the outcome is written (failed, with the reason), and /readyz is ready again.
    await rm(filler);
    let job: Record<string, unknown> = {};
    await waitForProgress(async () => {
      job = (await getJson(`${ttv.url}/v1/jobs/${id}`)).body;
      return { done: ['finished', 'failed'].includes(String(job.status)), progress: Number(job.progress) };
    }, { stallMs: 60_000, what: 'the job to end once space is back' });
    expect(job.status).toBe('failed');
    console.log(`disk full: job failed with: ${String(job.error)}; /readyz meanwhile: ${JSON.stringify(unready.problems)}`);
    expect(String(job.error)).toMatch(/space|ENOSPC/i);
    // Recorded by the attempt that failed, not re-run later as "worker lost".
    const { body: logs } = await getJson(`${ttv.url}/v1/jobs/${id}/logs?tail=0`);
    expect((logs.lines as string[]).filter((l) => /Worker lost|attempt 2/.test(l))).toEqual([]);
    expect((logs.lines as string[]).filter((l) => l.includes('Video generation started (attempt 1,'))).toHaveLength(1);
    await waitFor(async () => ((await getJson(`${ttv.url}/readyz`)).status === 200 ? true : null), { timeoutMs: 20_000, what: 'ready again' });

    // The store works again: a new job runs to the end.
    const next = (await (await fetch(`${ttv.url}/v1/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'After the storm.' }) })).json()) as { id: string };
    await waitForProgress(async () => {
      job = (await getJson(`${ttv.url}/v1/jobs/${next.id}`)).body;
      return { done: ['finished', 'failed'].includes(String(job.status)), progress: Number(job.progress) };
    }, { stallMs: 60_000, what: 'a new job to end' });
    expect(job.status).toBe('finished');
  }, 0);
});
