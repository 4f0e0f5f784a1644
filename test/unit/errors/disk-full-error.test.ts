// Telling a full disk from any other failure: real ENOSPC from Node (a write to /dev/full) and from
// ffmpeg (its stderr), as they arrive wrapped by the layers above (the fallback chain keeps only text,
// the pipeline wraps with a cause); a vendor saying "No space left on device" about its own servers is
// not our disk. And the clip check: an unreadable clip while the guard reports low space is a full disk.
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskFullError, isOutOfSpace } from '../../../src/errors/disk-full-error.js';
import { GenerationError } from '../../../src/errors/generation-error.js';
import { PipelineError } from '../../../src/errors/pipeline-error.js';
import { ProcessError } from '../../../src/errors/process-error.js';
import { StoreUnavailableError } from '../../../src/errors/store-unavailable-error.js';
import { toClientError } from '../../../src/errors/client-error.js';
import { AllBackendsFailedError } from '../../../src/errors/all-backends-failed-error.js';
import { runProcess } from '../../../src/media/process-runner.js';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';
import { clipCheck } from '../../../src/pipeline/create-pipeline.js';
import { DiskGuard } from '../../../src/storage/disk-guard.js';

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('isOutOfSpace', () => {
  it("knows Node's ENOSPC (a real write to /dev/full), also wrapped as a cause", async () => {
    const err = await rejection(writeFile('/dev/full', Buffer.alloc(4096)));
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(isOutOfSpace(err)).toBe(true);
    expect(isOutOfSpace(new PipelineError('Unexpected error while generating the video', { cause: err }))).toBe(true);
    expect(isOutOfSpace(new AggregateError([new Error('other'), err]))).toBe(true);
  });

  it('knows ffmpeg\'s "No space left on device" (a real ffmpeg writing to /dev/full), also as the fallback chain\'s text', async () => {
    // MP4: the header write fails and ffmpeg exits 1.
    const header = await rejection(
      runProcess('ffmpeg', [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=320x180:rate=24:duration=1',
        '-f',
        'mp4',
        '/dev/full',
      ]),
    );
    expect(header).toBeInstanceOf(ProcessError);
    expect((header as ProcessError).stderrTail).toMatch(/No space left on device/i);
    expect(isOutOfSpace(header)).toBe(true);
    // MPEG-TS: only the trailer and close fail, and ffmpeg exits 0 with a cut-short file; Ffmpeg.run
    // makes that a failure too.
    const trailer = await rejection(
      new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 1000 }).run([
        '-nostdin',
        '-f',
        'lavfi',
        '-i',
        'testsrc2=size=320x180:rate=24:duration=1',
        '-c:v',
        'mpeg2video',
        '-f',
        'mpegts',
        '/dev/full',
      ]),
    );
    expect(trailer).toBeInstanceOf(ProcessError);
    expect((trailer as ProcessError).exitCode).toBe(0);
    expect(isOutOfSpace(trailer)).toBe(true);
    // The fallback chain keeps each backend's failure as text only.
    const summary = new AllBackendsFailedError(`Segment 1 failed: procedural: ${(trailer as Error).message}`, {
      publicMessage: 'Segment 1 failed: procedural: ffmpeg failed',
    });
    expect(isOutOfSpace(summary)).toBe(true);
  });

  it("knows the SQLite store's full disk and our own DiskFullError", () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    expect(
      isOutOfSpace(
        new StoreUnavailableError('Job store unavailable: the disk under the data dir is full', { cause: full }),
      ),
    ).toBe(true);
    expect(isOutOfSpace(new DiskFullError('/srv/ttv'))).toBe(true);
  });

  it("does not take other failures, or a vendor's words about its own servers, for our full disk", async () => {
    expect(isOutOfSpace(await rejection(writeFile('/nonexistent-dir/x', 'x')))).toBe(false);
    expect(isOutOfSpace(new GenerationError('clip check', 'no-output', 'the clip has no readable video stream'))).toBe(
      false,
    );
    expect(
      isOutOfSpace(
        new GenerationError('runway', 'failed', 'the vendor task failed', false, {
          vendorText: 'INTERNAL: No space left on device',
        }),
      ),
    ).toBe(false);
    expect(isOutOfSpace(new ProcessError('ffmpeg', 1, null, 'Invalid data found when processing input'))).toBe(false);
    expect(isOutOfSpace(null)).toBe(false);
    expect(isOutOfSpace('plain text')).toBe(false);
    const loop: Error & { cause?: unknown } = new Error('loop');
    loop.cause = loop;
    expect(isOutOfSpace(loop)).toBe(false);
  });
});

describe('DiskFullError', () => {
  it('names the disk for the operator, and for a client without the host path', () => {
    const err = new DiskFullError('/srv/ttv-data', { cause: new Error('ENOSPC') });
    expect(err.message).toBe('No space left on device under the data dir /srv/ttv-data');
    expect(err.code).toBe('DiskFull');
    expect(err.retryable).toBe(true);
    const client = toClientError(err, { workDir: '/srv/ttv-data/tmp/job_x_a1' });
    expect(client).toEqual({
      code: 'DiskFull',
      message: 'No space left on device under the data dir …/ttv-data',
      retryable: true,
    });
  });
});

describe('clip check', () => {
  let dir: string;
  let clip: string;
  const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 1000 });
  const guard = (freeMb: number) =>
    new DiskGuard({
      dir: dir,
      minFreeMb: 64,
      cacheMs: 60_000,
      statfs: () => ({ bavail: freeMb * 256, bsize: 4096 }),
    });
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ttv-clipcheck-'));
    clip = join(dir, 'cut.mp4');
    await writeFile(clip, Buffer.from('ftyp cut short by a full disk'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says the disk is full when an unreadable clip comes while the guard reports low space', async () => {
    const err = await rejection(clipCheck(ffmpeg, guard(3))(clip, new AbortController().signal));
    expect(err).toBeInstanceOf(DiskFullError);
    expect((err as Error).message).toMatch(
      /^No space left on device under the data dir .*\(a clip was cut short; low disk space: 3 MB free under the data dir, below worker\.min_free_disk_mb \(64 MB\)\)$/,
    );
    expect(isOutOfSpace(err)).toBe(true);
  });

  it('reads the disk afresh: a reading cached before the disk filled does not hide it', async () => {
    let freeMb = 1024;
    const disk = new DiskGuard({
      dir,
      minFreeMb: 64,
      cacheMs: 60_000,
      statfs: () => ({ bavail: freeMb * 256, bsize: 4096 }),
    });
    expect(disk.reason()).toBeNull();
    freeMb = 0;
    expect(await rejection(clipCheck(ffmpeg, disk)(clip, new AbortController().signal))).toBeInstanceOf(DiskFullError);
  });

  it('keeps "no readable video stream" when space is fine or there is no guard', async () => {
    for (const check of [clipCheck(ffmpeg, guard(1024)), clipCheck(ffmpeg)]) {
      const err = await rejection(check(clip, new AbortController().signal));
      expect(err).toBeInstanceOf(GenerationError);
      expect((err as Error).message).toBe('clip check: the clip has no readable video stream');
    }
  });
});
