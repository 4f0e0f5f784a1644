// Keyframe and chaining modes with real ffmpeg output: segment counts and durations match the plan,
// chained segments start on the previous segment's last frame, keyframe segments start and end on
// their keyframes, and a cancel in any stage stops it.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { createPipeline } from '../../../src/pipeline/create-pipeline.js';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';
import { runProcess } from '../../../src/media/process-runner.js';
import { CanceledError } from '../../../src/errors/canceled-error.js';
import type { JobStage } from '../../../src/jobs/job.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-modes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = { data_dir: '/unused', segment_duration_seconds: 1, procedural: { width: 160, height: 96, fps: 12 } };
const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 1000 });
const PROMPT = 'A red kite rises. It loops in the wind. It lands on the beach.';

function reporter(onProgress?: (p: number, stage: JobStage) => void) {
  const stages: JobStage[] = [];
  return {
    stages,
    reporter: {
      progress: async (p: number, stage: JobStage) => {
        stages.push(stage);
        onProgress?.(p, stage);
      },
      log: async () => undefined,
    },
  };
}

/** PSNR in dB between an image and the first (or last) frame of a clip, compared as decoded pixels. */
async function psnr(image: string, clip: string, which: 'first' | 'last'): Promise<number> {
  const pick = which === 'first' ? 'trim=end_frame=1' : 'reverse,trim=end_frame=1';
  const { stderr } = await runProcess('ffmpeg', [
    '-hide_banner',
    '-i',
    image,
    '-i',
    clip,
    '-lavfi',
    `[0:v]format=yuv444p,setpts=PTS-STARTPTS[a];[1:v]${pick},format=yuv444p,setpts=PTS-STARTPTS[b];[a][b]psnr`,
    '-f',
    'null',
    '-',
  ]);
  const m = /average:(inf|[\d.]+)/.exec(stderr);
  if (!m) throw new Error(`no PSNR in ffmpeg output: ${stderr.slice(-300)}`);
  return m[1] === 'inf' ? Infinity : Number(m[1]);
}

describe('chaining mode', () => {
  it('starts every segment on the last frame of the one before', async () => {
    const config = configSchema.parse({ ...base, generation_mode: 'chaining' });
    const workDir = join(dir, 'chain');
    const result = await createPipeline().run({
      prompt: PROMPT,
      config,
      workDir,
      signal: new AbortController().signal,
      reporter: reporter().reporter,
    });
    expect(result.segmentCount).toBe(3);
    const plan = JSON.parse(await readFile(join(workDir, 'plan.json'), 'utf8')) as { segments: unknown[] };
    expect(plan.segments).toHaveLength(3);
    // The offline backend can start from text, so chaining needs no generated initial frame.
    expect(existsSync(join(workDir, 'frames', 'segment_00.png'))).toBe(false);
    for (let k = 1; k < 3; k += 1) {
      const clip = join(workDir, 'videos', `segment_0${k}.mp4`);
      const next = join(workDir, 'videos', `segment_0${k + 1}.mp4`);
      const lastFrame = join(workDir, 'frames', `segment_0${k}_last.png`);
      expect(await psnr(lastFrame, clip, 'last')).toBeGreaterThan(35);
      // The first frame of segment k+1 is the extracted last frame of segment k (up to H.264 loss).
      expect(await psnr(lastFrame, next, 'first')).toBeGreaterThan(30);
    }
    // A different segment's first frame does not match: the comparison can tell frames apart.
    expect(
      await psnr(join(workDir, 'frames', 'segment_01_last.png'), join(workDir, 'videos', 'segment_03.mp4'), 'first'),
    ).toBeLessThan(25);
    const probe = await ffmpeg.probe(result.finalVideoPath);
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.2);
  });
});

describe('keyframe mode', () => {
  it('generates keyframes and segments between them, in parallel lanes', async () => {
    const config = configSchema.parse({ ...base, generation_mode: 'keyframe', parallel_segments: 2 });
    const workDir = join(dir, 'keyframe');
    const rec = reporter();
    const result = await createPipeline().run({
      prompt: PROMPT,
      config,
      workDir,
      signal: new AbortController().signal,
      reporter: rec.reporter,
    });
    expect(result.segmentCount).toBe(3);
    for (let k = 0; k <= 3; k += 1) expect(existsSync(join(workDir, 'frames', `segment_0${k}.png`))).toBe(true);
    for (let k = 1; k <= 3; k += 1) {
      const clip = join(workDir, 'videos', `segment_0${k}.mp4`);
      expect(await psnr(join(workDir, 'frames', `segment_0${k - 1}.png`), clip, 'first')).toBeGreaterThan(30);
      expect(await psnr(join(workDir, 'frames', `segment_0${k}.png`), clip, 'last')).toBeGreaterThan(30);
    }
    expect(rec.stages).toContain('keyframes');
    const probe = await ffmpeg.probe(result.finalVideoPath);
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.2);
  });
});

describe('cancel in each stage', () => {
  for (const stage of ['planning', 'keyframes', 'segments', 'stitching'] as const) {
    it(`stops promptly when canceled during ${stage}`, async () => {
      const config = configSchema.parse({ ...base, generation_mode: 'keyframe' });
      const controller = new AbortController();
      const rec = reporter((_p, s) => {
        if (s === stage) controller.abort('canceled');
      });
      const run = createPipeline().run({
        prompt: PROMPT,
        config,
        workDir: join(dir, `cancel-${stage}`),
        signal: controller.signal,
        reporter: rec.reporter,
      });
      await expect(run).rejects.toBeInstanceOf(CanceledError);
      const order = ['planning', 'keyframes', 'segments', 'stitching'];
      expect(rec.stages.every((s) => order.indexOf(s) <= order.indexOf(stage))).toBe(true);
      expect(existsSync(join(dir, `cancel-${stage}`, 'final_video.mp4'))).toBe(false);
    });
  }
});

describe('capability checks', () => {
  it('refuses a plan the backend cannot render before generating anything', async () => {
    const config = configSchema.parse({ ...base, segment_duration_seconds: 0.4 });
    const workDir = join(dir, 'caps');
    const run = createPipeline().run({
      prompt: PROMPT,
      config,
      workDir,
      signal: new AbortController().signal,
      reporter: reporter().reporter,
    });
    await expect(run).rejects.toThrow(
      /Segment 1 cannot be generated by procedural: duration 0.4 s is outside 0.5..60 s/,
    );
    expect(existsSync(join(workDir, 'videos'))).toBe(false);
  });
});
