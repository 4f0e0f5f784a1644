// Every ffmpeg and ffprobe run has a deadline: media.ffmpeg_timeout_seconds plus
// media.ffmpeg_timeout_per_video_second per second of video, media.probe_timeout_seconds for a probe.
// The run that hung forever in the attack report (a looped fake PNG) is stopped at its deadline,
// with the reason, and its process is gone.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { Ffmpeg, mediaDeadlines } from '../../../src/media/ffmpeg.js';
import { ProcessTimeoutError } from '../../../src/errors/process-timeout-error.js';
import { fakePng } from '../../support/images.js';

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-deadlines-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Live processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe('media deadlines', () => {
  it('come from media.* and grow with the seconds of video a run handles (capped at an hour)', () => {
    const config = configSchema.parse({
      media: { ffmpeg_timeout_seconds: 30, ffmpeg_timeout_per_video_second: 4, probe_timeout_seconds: 2 },
    });
    expect(mediaDeadlines(config)).toEqual({ runMs: 30_000, runPerVideoSecondMs: 4000, probeMs: 2000 });
    const ffmpeg = Ffmpeg.fromConfig(config);
    expect(ffmpeg.runDeadlineMs()).toBe(30_000);
    expect(ffmpeg.runDeadlineMs(2.5)).toBe(40_000);
    expect(configSchema.parse({}).media).toEqual({
      ffmpeg_timeout_seconds: 120,
      ffmpeg_timeout_per_video_second: 10,
      probe_timeout_seconds: 15,
    });
    expect(() => configSchema.parse({ media: { ffmpeg_timeout_seconds: 0 } })).toThrow();
  });

  it('stop the reported open-loop run on a 69-byte fake PNG, naming the deadline', async () => {
    const fake = join(dir, 'looped-fake.png');
    await writeFile(fake, fakePng());
    const ffmpeg = new Ffmpeg({
      ffmpegPath: 'ffmpeg',
      ffprobePath: 'ffprobe',
      graceMs: 500,
      deadlines: { runMs: 1000, runPerVideoSecondMs: 0, probeMs: 1000 },
    });
    // The attack report's command line: the image demuxer loops a file no frame decodes from, forever.
    const err = await ffmpeg
      .run(['-loop', '1', '-framerate', '24', '-t', '0.5', '-i', fake, '-f', 'null', '-'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessTimeoutError);
    expect((err as Error).message).toBe(
      'ffmpeg did not finish within 1 s (media.ffmpeg_timeout_seconds); its process group was stopped',
    );
    expect(processesMentioning(fake)).toEqual([]);
  });

  it('stop a probe of a file that never delivers a byte', async () => {
    const fifo = join(dir, 'stalled.mp4');
    await run('mkfifo', [fifo]);
    const ffmpeg = new Ffmpeg({
      ffmpegPath: 'ffmpeg',
      ffprobePath: 'ffprobe',
      graceMs: 200,
      deadlines: { runMs: 1000, runPerVideoSecondMs: 0, probeMs: 500 },
    });
    const err = await ffmpeg.probe(fifo).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessTimeoutError);
    expect((err as Error).message).toBe(
      'ffprobe did not finish within 0.5 s (media.probe_timeout_seconds); its process group was stopped',
    );
    expect(processesMentioning(fifo)).toEqual([]);
  });
});
