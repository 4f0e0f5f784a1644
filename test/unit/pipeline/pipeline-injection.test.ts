// VideoPipeline with injected providers: validation before generation, error messages fit for
// clients, cost and progress bookkeeping, reporter failures that must not crash the process.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { VideoPipeline } from '../../../src/pipeline/video-pipeline.js';
import { hideHostPaths } from '../../../src/errors/client-error.js';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';
import { ProceduralPlanner } from '../../../src/planning/procedural-planner.js';
import { ProceduralVideoGenerator } from '../../../src/generators/procedural/procedural-video-generator.js';
import { PipelineError } from '../../../src/errors/pipeline-error.js';
import { ProcessError } from '../../../src/errors/process-error.js';
import type { GenerateHooks, GenerateRequest, GenerateResult, VideoGenerator } from '../../../src/generators/types.js';
import type { JobStage } from '../../../src/jobs/job.js';
import { recorder } from '../../support/progress-recorder.js';

const config = configSchema.parse({
  data_dir: '/unused',
  segment_duration_seconds: 1,
  procedural: { width: 160, height: 90, fps: 12, max_segments: 3 },
});
const ffmpeg = Ffmpeg.fromConfig(config);
const PROMPT = 'A kite rises. It loops. It lands.';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-inject-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Wraps the procedural generator; lets a test change what validate, estimateCost or generate do. */
class FakeGenerator implements VideoGenerator {
  readonly id = 'fake';
  readonly inner = new ProceduralVideoGenerator(ffmpeg, config.procedural);
  generated: number[] = [];
  constructor(
    private readonly over: {
      validate?: (r: Omit<GenerateRequest, 'outputPath'>) => string[];
      generate?: (r: GenerateRequest, h: GenerateHooks) => Promise<GenerateResult>;
      textToVideo?: boolean;
      imageToVideo?: boolean;
    } = {},
  ) {}
  capabilities() {
    return {
      ...this.inner.capabilities(),
      maxPromptLength: 500,
      ...(this.over.textToVideo === false ? { textToVideo: false } : {}),
      ...(this.over.imageToVideo === false ? { imageToVideo: false, firstLastFrame: false } : {}),
    };
  }
  validate(r: Omit<GenerateRequest, 'outputPath'>) {
    return this.over.validate?.(r) ?? this.inner.validate(r);
  }
  estimateCost(seconds: number) {
    return 0.25 * seconds;
  }
  async generate(r: GenerateRequest, h: GenerateHooks): Promise<GenerateResult> {
    this.generated.push(r.segment);
    const made = await (this.over.generate ? this.over.generate(r, h) : this.inner.generate(r, h));
    // Priced as estimated, like a paid backend.
    return { ...made, costUsd: this.estimateCost(r.durationSeconds) };
  }
}

const run = (generator: VideoGenerator, workDir: string, reporter = recorder().reporter) =>
  new VideoPipeline({ planner: new ProceduralPlanner(config.procedural.max_segments), generator, ffmpeg }).run({
    prompt: PROMPT,
    config,
    workDir,
    signal: new AbortController().signal,
    reporter,
  });

describe('VideoPipeline with injected providers', () => {
  it('reports the milestones and their messages, sums the cost, and writes segment_NN clips', async () => {
    const rec = recorder();
    const generator = new FakeGenerator();
    const workDir = join(dir, 'ok');
    const result = await run(generator, workDir, rec.reporter);
    expect(result).toEqual({
      finalVideoPath: join(workDir, 'final_video.mp4'),
      segmentCount: 3,
      plannedDurationSeconds: 3,
      estimatedCostUsd: 0.75,
    });
    const at = (p: number) => rec.events.find((e) => e.progress === p && e.message);
    expect(at(5)).toMatchObject({ stage: 'planning', message: 'Setting up pipeline configuration' });
    expect(at(10)).toMatchObject({ stage: 'planning', message: 'Initializing video generation pipeline' });
    expect(at(20)).toMatchObject({ stage: 'planning', message: 'Enhancing and segmenting prompt' });
    expect(at(30)).toMatchObject({
      stage: 'keyframes',
      message: 'No keyframes to generate (chaining mode: segment 1 starts from the prompt text)',
    });
    expect(at(50)).toMatchObject({ stage: 'segments', message: 'Generating 3 video segments' });
    expect(rec.events.find((e) => e.stage === 'stitching')).toEqual({
      progress: 80,
      stage: 'stitching',
      message: 'Stitching video segments together',
    });
    const messages = rec.events.map((e) => e.message).filter(Boolean);
    for (const k of [1, 2, 3]) expect(messages).toContain(`Segment ${k}/3 generated`);
    const values = rec.events.map((e) => e.progress);
    expect([...values].sort((a, b) => a - b)).toEqual(values);
    expect(generator.generated).toEqual([1, 2, 3]);
    const probe = await ffmpeg.probe(result.finalVideoPath);
    expect(Math.abs(probe.durationSeconds - 3)).toBeLessThanOrEqual(0.2);
  });

  it('validates every segment before generating any, naming the one that fails', async () => {
    const generator = new FakeGenerator({
      validate: (r) => (r.segment === 2 ? ['prompt mentions a forbidden word'] : []),
    });
    const err = await run(generator, join(dir, 'invalid')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as Error).message).toBe('Segment 2 cannot be generated by fake: prompt mentions a forbidden word');
    expect(generator.generated).toEqual([]);
  });

  it('keeps host paths out of subprocess errors', async () => {
    const workDir = join(dir, 'failing');
    const generator = new FakeGenerator({
      generate: async (r) => {
        throw new ProcessError(
          'ffmpeg',
          1,
          null,
          `${r.outputPath}: Invalid data found\n/home/someone/private/models/weights.bin: No such file`,
        );
      },
    });
    const err = await run(generator, workDir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    const message = (err as Error).message;
    expect(message).toContain('videos/segment_01.mp4: Invalid data found');
    expect(message).toContain('…/weights.bin');
    expect(message).not.toContain(dir);
    expect(message).not.toContain('/home/someone');
  });

  it('hides the details of unexpected errors', async () => {
    const generator = new FakeGenerator({
      generate: async () => {
        throw new TypeError('token=sk-secret at /srv/app/x.js');
      },
    });
    const err = await run(generator, join(dir, 'unexpected')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as Error).message).toBe('Unexpected error while generating the video');
  });

  it('survives a reporter whose unawaited progress and log writes fail', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const generator = new FakeGenerator({
        generate: async (r, h) => {
          h.log?.('vendor says hello');
          h.onProgress?.(0.5);
          return new ProceduralVideoGenerator(ffmpeg, config.procedural).generate(r, h);
        },
      });
      // Milestones and the pipeline's own log lines (awaited) succeed; the in-between progress
      // writes and the backend's log lines (not awaited) fail, as a busy store might.
      const reporter = {
        progress: async (_p: number, _s: JobStage, message?: string) => {
          if (!message) throw new Error('store hiccup');
        },
        log: async (m: string) => {
          if (m === 'vendor says hello') throw new Error('store hiccup');
        },
      };
      const result = await run(generator, join(dir, 'flaky-reporter'), reporter);
      expect(result.segmentCount).toBe(3);
      await new Promise((r) => setImmediate(r));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('fails when a clip has no video stream', async () => {
    const generator = new FakeGenerator({
      generate: async (r) => {
        await ffmpeg.run(['-f', 'lavfi', '-i', 'sine=duration=1', '-c:a', 'aac', r.outputPath]);
        return { path: r.outputPath, costUsd: 0 };
      },
    });
    const err = await run(generator, join(dir, 'audio-only')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as Error).message).toMatch(/Segment 1 has no video stream/);
  });
});

describe('progress messages: counts that agree, singular for one', () => {
  const runWith = async (
    overrides: Record<string, unknown>,
    prompt: string,
    generator: VideoGenerator,
    name: string,
  ) => {
    const cfg = configSchema.parse({
      data_dir: '/unused',
      segment_duration_seconds: 1,
      procedural: { width: 160, height: 90, fps: 12, max_segments: 4 },
      ...overrides,
    });
    const rec = recorder();
    const result = await new VideoPipeline({
      planner: new ProceduralPlanner(cfg.procedural.max_segments),
      generator,
      ffmpeg,
    })
      .run({
        prompt,
        config: cfg,
        workDir: join(dir, name),
        signal: new AbortController().signal,
        reporter: rec.reporter,
      })
      .catch((err: unknown) => err as Error);
    const messages = rec.events.map((e) => e.message).filter((m): m is string => Boolean(m));
    return { result, messages, logs: rec.logs, events: rec.events };
  };

  it('keyframe mode announces the initial frame plus one per segment, and counts them k/N', async () => {
    const { messages, events } = await runWith(
      { generation_mode: 'keyframe' },
      'One. Two. Three.',
      new FakeGenerator(),
      'msg-keyframe',
    );
    const frames = messages.filter((m) => /keyframe/i.test(m));
    expect(frames).toEqual([
      'Generating 4 keyframes',
      'Keyframe 1/4 generated',
      'Keyframe 2/4 generated',
      'Keyframe 3/4 generated',
      'Keyframe 4/4 generated',
    ]);
    const keyframeProgress = events.filter((e) => e.stage === 'keyframes').map((e) => e.progress);
    expect(keyframeProgress).toEqual([30, 35, 40, 45, 50]);
  });

  it('chaining on an image-to-video-only backend announces its one first frame', async () => {
    const { messages } = await runWith(
      { generation_mode: 'chaining' },
      'One. Two.',
      new FakeGenerator({ textToVideo: false }),
      'msg-chain-i2v',
    );
    expect(messages.filter((m) => /keyframe/i.test(m))).toEqual(['Generating 1 keyframe', 'Keyframe 1/1 generated']);
  });

  it('chaining on a text-only backend: refused after planning, before any frame or clip, unless the plan has one segment', async () => {
    const textOnly = new FakeGenerator({ imageToVideo: false });
    const { result, messages } = await runWith({ generation_mode: 'chaining' }, 'One. Two.', textOnly, 'msg-chain-t2v');
    expect(result).toBeInstanceOf(PipelineError);
    expect((result as Error).message).toMatch(
      /^generation_mode chaining starts every segment after the first on the previous segment's last frame, and fake renders from text only/,
    );
    expect(textOnly.generated).toEqual([]);
    expect(messages.filter((m) => /keyframe|video segment/i.test(m))).toEqual([]);
    const single = new FakeGenerator({ imageToVideo: false });
    const one = await runWith({ generation_mode: 'chaining' }, 'Just one.', single, 'msg-chain-t2v-one');
    expect(one.result).not.toBeInstanceOf(Error);
    expect(single.generated).toEqual([1]);
  });

  it("a given first frame of another shape is cropped to the job's aspect before the backend gets it", async () => {
    const image = join(dir, 'landscape-first.png');
    await ffmpeg.run(['-f', 'lavfi', '-i', 'testsrc2=s=320x180:d=1', '-frames:v', '1', image]);
    const firstFrames: string[] = [];
    const inner = new ProceduralVideoGenerator(ffmpeg, config.procedural);
    const generator = new FakeGenerator({
      generate: async (r, h) => {
        if (r.segment === 1) firstFrames.push(r.firstFrame!);
        return inner.generate(r, h);
      },
    });
    const { result, logs } = await runWith(
      { video_aspect_ratio: '9:16', initial_image: image },
      'One.',
      generator,
      'msg-initial-fit',
    );
    expect(result).not.toBeInstanceOf(Error);
    expect(logs).toContain('The initial image is 320x180: cropped to 100x180 (9:16)');
    expect(await ffmpeg.frameSize(firstFrames[0]!)).toEqual({ width: 100, height: 180 });
    // The job's own file is left as it was.
    expect(await ffmpeg.frameSize(image)).toEqual({ width: 320, height: 180 });
  });

  it('one sentence: one segment, in the plan, the stage message and the cost refusal', async () => {
    const { messages, logs } = await runWith({}, 'A single sentence.', new FakeGenerator(), 'msg-one');
    expect(logs).toContain('Plan: 1 sentence grouped into 1 segment of 1 s (at most 4)');
    expect(messages).toContain('Generating 1 video segment');
    expect(messages).toContain('Segment 1/1 generated');
    const refused = await runWith({ max_cost_per_video: 0.1 }, 'A single sentence.', new FakeGenerator(), 'msg-cost');
    expect((refused.result as Error).message).toBe(
      'Estimated cost $0.25 (1 segment on fake) exceeds max_cost_per_video $0.10',
    );
  });
});

describe('hideHostPaths', () => {
  it('makes work-dir paths relative and cuts other absolute paths to their file name', () => {
    expect(hideHostPaths('/tmp/job-1/videos/segment_01.mp4: bad', '/tmp/job-1')).toBe('videos/segment_01.mp4: bad');
    expect(hideHostPaths('cannot open /etc/ttv/keys/vendor.json', '/tmp/job-1')).toBe('cannot open …/vendor.json');
    expect(hideHostPaths('see https://api.example.com/v1/tasks/42 (HTTP 500)', '/tmp/job-1')).toBe(
      'see https://api.example.com/v1/tasks/42 (HTTP 500)',
    );
    expect(hideHostPaths('cwd was /tmp/job-1', '/tmp/job-1/')).toBe('cwd was .');
  });
});
