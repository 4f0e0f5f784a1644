// Disk full in the middle of a job, on real processes with SQLite: a data dir on a small tmpfs, a
// filler file takes its last byte while the job runs, so the job's ffmpeg write fails (ENOSPC, or a
// clip cut short while the guard reports low space). The failure names the disk and is not the job's:
// the job goes back to the queue and runs again once the filler is deleted, to a playable MP4.
// 1. `ttv serve` with the store on the full disk too: the hand-back cannot be written meanwhile, and
//    /readyz says why (outcome_not_recorded).
// 2. `ttv serve --no-worker` and a separate `ttv worker` whose data dir (only) is the full tmpfs,
//    sharing one SQLite store: the API's /readyz lists the blocked worker with its reason from its
//    heartbeat (the API's own disk is fine), and is 503 since no worker can take the job.
// Needs root for mount; under CI=true a failed mount fails the test.
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTtv, type TtvProcess } from '../support/ttv-process.js';
import { Ffmpeg } from '../../src/media/ffmpeg.js';
import { waitFor, waitForProgress } from '../support/wait-for.js';

const procs: TtvProcess[] = [];
const mounts: string[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
  for (const dir of mounts.splice(0)) {
    try {
      execFileSync('umount', [dir]);
    } catch {
      /* not mounted */
    }
    await rmdir(dir).catch(() => undefined);
  }
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A fresh dir with a small tmpfs mounted on it, or null (test skipped) when mounting is not allowed outside CI. */
async function tmpfs(sizeMb: number, ctx: { skip: () => void }): Promise<string | null> {
  const dir = await mkdtemp(join(tmpdir(), 'ttv-diskfull-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
    mounts.push(dir);
    return dir;
  } catch (err) {
    await rmdir(dir).catch(() => undefined);
    if (process.env.CI === 'true') throw new Error(`cannot mount a tmpfs (needs root): ${String(err)}`);
    ctx.skip();
    return null;
  }
}

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

const postJob = async (url: string, prompt: string) => {
  const res = await fetch(`${url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { id: string }).id;
};

/** Waits for the job to end, as long as it moves (or its status changes). */
async function ended(url: string, id: string, what: string): Promise<Record<string, unknown>> {
  let job: Record<string, unknown> = {};
  const statuses: string[] = [];
  await waitForProgress(
    async () => {
      job = (await getJson(`${url}/v1/jobs/${id}`)).body;
      if (statuses.at(-1) !== job.status) statuses.push(String(job.status));
      return {
        done: ['finished', 'failed', 'canceled'].includes(String(job.status)),
        progress: Number(job.progress) + statuses.length * 1000,
      };
    },
    { stallMs: 60_000, what },
  );
  return job;
}

/** The job's video, downloaded through the API, probed: a real, playable MP4. */
async function playable(url: string, id: string, dir: string): Promise<void> {
  const res = await fetch(`${url}/v1/jobs/${id}/artifact?redirect=true`);
  expect(res.status).toBe(200);
  const file = join(dir, `${id}.mp4`);
  await writeFile(file, Buffer.from(await res.arrayBuffer()));
  const probe = await new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 2000 }).probe(file);
  expect(probe.formatName).toContain('mp4');
  expect(probe.video?.codec).toBe('h264');
  expect(probe.durationSeconds).toBeGreaterThan(1);
}

async function logLines(url: string, id: string): Promise<string[]> {
  return (await getJson(`${url}/v1/jobs/${id}/logs?tail=0`)).body.lines as string[];
}

/** The attempts that ran: each started once, none lost to a crash. */
function expectRetriedOnce(lines: string[]): void {
  expect(lines.filter((l) => l.includes('Video generation started (attempt 1,'))).toHaveLength(1);
  expect(lines.filter((l) => l.includes('Video generation started (attempt 2,'))).toHaveLength(1);
  expect(lines.filter((l) => /Video generation started \(attempt [3-9]/.test(l))).toEqual([]);
  expect(lines.filter((l) => /Worker lost/.test(l))).toEqual([]);
}

const DISK_FULL_LINE =
  /No space left on device under the data dir …\/[^ ]+.*; the job goes back to the queue and runs again once space is freed/;

describe('disk full', () => {
  it('with the store on the full disk too: says why in /readyz while nothing can be written, and runs the job again once space is freed', async (ctx) => {
    const dataDir = await tmpfs(24, ctx);
    if (!dataDir) return;
    const config = join(dataDir, 'ttv.yaml');
    await writeFile(
      config,
      [
        'segment_duration_seconds: 2',
        // Held in its generation step long enough to fill the disk under it; each segment's ffmpeg write then fails.
        'procedural: { width: 320, height: 180, fps: 24, max_segments: 2, simulated_latency_seconds: 2 }',
        // A guard small enough for a 24 MB tmpfs: it keeps the handed-back job from running again while the disk is full.
        'worker: { lease_seconds: 2, heartbeat_seconds: 0.3, max_attempts: 3, min_free_disk_mb: 4 }',
        '',
      ].join('\n'),
    );
    const ttv = await startTtv(['serve', '--port', '0', '--config', config, '--data-dir', dataDir]);
    procs.push(ttv);
    await waitFor(async () => ((await getJson(`${ttv.url}/readyz`)).status === 200 ? true : null), {
      timeoutMs: 20_000,
      what: 'ready',
    });
    const id = await postJob(ttv.url, 'A sunrise over the sea. Waves roll in.');
    await waitFor(async () => ((await getJson(`${ttv.url}/v1/jobs/${id}`)).body.status === 'progress' ? true : null), {
      timeoutMs: 20_000,
      what: 'the job to run',
    });

    const filler = join(dataDir, 'filler.bin');
    expect(await fillDisk(filler)).toBeGreaterThan(0);

    // While the hand-back cannot be written, /readyz is not ready and names the cause.
    const seen: string[] = [];
    const unready = await waitFor(
      async () => {
        const { status, body } = await getJson(`${ttv.url}/readyz`);
        seen.push(`${status} ${JSON.stringify(body.problems)}`);
        return status === 503 &&
          (body.problems as { reason: string }[]).some((p) => p.reason === 'outcome_not_recorded')
          ? body
          : null;
      },
      { timeoutMs: 60_000, what: 'a /readyz problem while the disk is full' },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${seen.slice(-5).join('\n')}`);
    });
    expect(unready.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: 'outcome_not_recorded',
          message: expect.stringMatching(new RegExp(`${id}.*disk under the data dir is full`)),
        }),
        expect.objectContaining({ reason: 'low_disk_space' }),
      ]),
    );

    // Space comes back: the job goes back to the queue and runs again, to the end.
    await rm(filler);
    const job = await ended(ttv.url, id, 'the job to end once space is back');
    expect(job.status).toBe('finished');
    const lines = await logLines(ttv.url, id);
    console.log(
      `disk full (store on it too): ${lines.find((l) => DISK_FULL_LINE.test(l)) ?? '(no disk-full line)'}; /readyz meanwhile: ${JSON.stringify(unready.problems)}`,
    );
    expect(lines.filter((l) => DISK_FULL_LINE.test(l))).toHaveLength(1);
    expectRetriedOnce(lines);
    await playable(
      ttv.url,
      id,
      await mkdtemp(join(tmpdir(), 'ttv-diskfull-out-')).then((d) => {
        dirs.push(d);
        return d;
      }),
    );
    await waitFor(async () => ((await getJson(`${ttv.url}/readyz`)).status === 200 ? true : null), {
      timeoutMs: 20_000,
      what: 'ready again',
    });
  }, 0);

  it("with a separate worker whose disk is full: the API's /readyz lists it with the reason, and the job runs again once space is freed", async (ctx) => {
    const workerDir = await tmpfs(32, ctx);
    if (!workerDir) return;
    // The API's data dir holds the one SQLite store and the artifacts, on a disk with room; the
    // worker's data dir is the tmpfs, with the store linked in (SQLite keeps its WAL by the real file).
    const apiDir = await mkdtemp(join(tmpdir(), 'ttv-diskfull-api-'));
    dirs.push(apiDir);
    await symlink(join(apiDir, 'ttv.db'), join(workerDir, 'ttv.db'));
    const config = join(apiDir, 'ttv.yaml');
    await writeFile(
      config,
      [
        'segment_duration_seconds: 2',
        'procedural: { width: 320, height: 180, fps: 24, max_segments: 2, simulated_latency_seconds: 2 }',
        'worker: { lease_seconds: 2, heartbeat_seconds: 0.3, max_attempts: 3, min_free_disk_mb: 4 }',
        `storage: { local: { dir: ${JSON.stringify(join(apiDir, 'artifacts'))} } }`,
        '',
      ].join('\n'),
    );
    const api = await startTtv(['serve', '--no-worker', '--port', '0', '--config', config, '--data-dir', apiDir]);
    procs.push(api);
    const worker = await startTtv(['worker', '--config', config, '--data-dir', workerDir]);
    procs.push(worker);
    const workerId = worker.url;
    await waitFor(async () => ((await getJson(`${api.url}/readyz`)).status === 200 ? true : null), {
      timeoutMs: 20_000,
      what: 'ready',
    });
    const id = await postJob(api.url, 'A sunrise over the sea. Waves roll in.');
    await waitFor(async () => ((await getJson(`${api.url}/v1/jobs/${id}`)).body.status === 'progress' ? true : null), {
      timeoutMs: 20_000,
      what: 'the job to run',
    });

    const filler = join(workerDir, 'filler.bin');
    expect(await fillDisk(filler)).toBeGreaterThan(0);

    // The job's write fails; it goes back to the queue, and the worker says in its heartbeat why it takes no job.
    const seen: string[] = [];
    const unready = await waitFor(
      async () => {
        const { status, body } = await getJson(`${api.url}/readyz`);
        const job = (await getJson(`${api.url}/v1/jobs/${id}`)).body;
        seen.push(`${status} ${JSON.stringify(body.workers_blocked)} job=${String(job.status)}`);
        return (body.workers_blocked as unknown[]).length > 0 && job.status === 'queued' ? { status, body } : null;
      },
      { timeoutMs: 60_000, what: "the blocked worker in the API's /readyz" },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${seen.slice(-5).join('\n')}\n${worker.output().slice(-2000)}`);
    });
    expect(unready.status).toBe(503);
    expect(unready.body).toMatchObject({
      status: 'not_ready',
      live_workers: 1,
      // The API's own disk is fine: only the worker's heartbeat tells.
      components: { disk: 'healthy', job_store: 'healthy', workers: 'unhealthy' },
      problems: [],
      workers_blocked: [
        {
          worker_id: workerId,
          reason: expect.stringMatching(
            /^low disk space: \d+ MB free under the data dir, below worker\.min_free_disk_mb \(4 MB\); new jobs wait$/,
          ),
        },
      ],
    });
    // The failure names the disk, in the job's log and the worker's own log (with the full path there).
    const failedLine = (await logLines(api.url, id)).find((l) => DISK_FULL_LINE.test(l));
    expect(failedLine).toBeDefined();
    expect(worker.output()).toContain(`No space left on device under the data dir ${workerDir}`);
    expect(worker.output()).not.toContain('no readable video stream');
    const queued = (await getJson(`${api.url}/v1/jobs/${id}`)).body;
    expect(queued).toMatchObject({ status: 'queued', error: null });

    // Space comes back: the worker takes the job again and finishes it, once.
    await rm(filler);
    const job = await ended(api.url, id, 'the job to end once space is back');
    const lines = await logLines(api.url, id);
    console.log(
      `disk full (separate worker): ${String(failedLine)}; where: ${lines.find((l) => l.includes('attempt failed')) ?? '(no segment failure)'}; /readyz meanwhile: ${JSON.stringify(unready.body.workers_blocked)}`,
    );
    expect(job.status).toBe('finished');
    expectRetriedOnce(lines);
    await playable(api.url, id, apiDir);
    const ready = await waitFor(
      async () => {
        const r = await getJson(`${api.url}/readyz`);
        return r.status === 200 ? r.body : null;
      },
      { timeoutMs: 20_000, what: 'ready again' },
    );
    expect(ready).toMatchObject({ status: 'ready', workers_blocked: [], live_workers: 1 });
  }, 0);
});
