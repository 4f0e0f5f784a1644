import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { createPipeline } from '../../../src/pipeline/create-pipeline.js';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';
import { CanceledError } from '../../../src/errors/canceled-error.js';
import { waitFor } from '../../support/wait-for.js';
import { recorder } from '../../support/progress-recorder.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-pipeline-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('VideoPipeline (procedural)', () => {
  const config = configSchema.parse({
    data_dir: '/unused',
    segment_duration_seconds: 1.5,
    procedural: { width: 160, height: 90, fps: 12 },
  });

  it('renders, stitches and reports monotonic milestones; the result lasts segments × duration', async () => {
    const workDir = join(dir, 'run1');
    const rec = recorder();
    const result = await createPipeline().run({
      prompt: 'A cat sleeps. A dog barks.',
      config,
      workDir,
      signal: new AbortController().signal,
      reporter: rec.reporter,
    });
    const values = rec.events.map((e) => e.progress);
    expect([...values].sort((a, b) => a - b)).toEqual(values);
    for (const milestone of [5, 10, 20, 30, 50, 80]) expect(values).toContain(milestone);
    expect(result.segmentCount).toBe(2);
    expect(result.plannedDurationSeconds).toBe(3);
    const probe = await Ffmpeg.fromConfig(config).probe(result.finalVideoPath);
    expect(probe.video?.codec).toBe('h264');
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.2);
  });

  it('is deterministic: the same prompt renders the same frames', async () => {
    const ffmpeg = Ffmpeg.fromConfig(config);
    const md5 = async (name: string, prompt: string) => {
      const workDir = join(dir, name);
      const r = await createPipeline().run({
        prompt,
        config,
        workDir,
        signal: new AbortController().signal,
        reporter: recorder().reporter,
      });
      const out = join(workDir, 'frames.md5');
      await ffmpeg.run(['-i', r.finalVideoPath, '-f', 'md5', out]);
      return readFileSync(out, 'utf8');
    };
    const a = await md5('det-a', 'Same prompt.');
    expect(await md5('det-b', 'Same prompt.')).toBe(a);
    expect(await md5('det-c', 'Another prompt.')).not.toBe(a);
  });

  it('stops on abort with CanceledError and leaves no ffmpeg behind', async () => {
    const slow = configSchema.parse({
      data_dir: '/unused',
      segment_duration_seconds: 30,
      procedural: { width: 1280, height: 720, fps: 30 },
    });
    const workDir = join(dir, 'abort-run');
    const controller = new AbortController();
    const running = createPipeline().run({
      prompt: 'Long.',
      config: slow,
      workDir,
      signal: controller.signal,
      reporter: recorder().reporter,
    });
    const ffmpegPids = () =>
      readdirSync('/proc')
        .filter((e) => /^\d+$/.test(e))
        .filter((e) => {
          try {
            return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(workDir);
          } catch {
            return false;
          }
        });
    await waitFor(async () => (ffmpegPids().length > 0 ? true : null));
    controller.abort('canceled');
    await expect(running).rejects.toBeInstanceOf(CanceledError);
    expect(ffmpegPids()).toEqual([]);
  });
});
