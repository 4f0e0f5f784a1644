// The video pipeline: plan → keyframes → segments → stitch, in `keyframe` mode (segments between
// keyframes, first+last frame, parallel up to parallel_segments) or `chaining` mode (each segment
// starts on the last frame of the one before). Every stage honours the AbortSignal and reports the
// Python worker's progress milestones. The worker and `ttv generate` both run this code.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { Ffmpeg, type ProbeResult } from '../media/ffmpeg.js';
import { CanceledError, throwIfAborted } from '../errors/canceled-error.js';
import { PipelineError } from '../errors/pipeline-error.js';
import { toClientError } from '../errors/client-error.js';
import { GenerationError } from '../errors/generation-error.js';
import type { ImageGenerator } from '../images/types.js';
import type { Plan, Planner, SegmentPlan } from '../planning/types.js';
import { createPlanner } from '../planning/create-planner.js';
import { createImageGenerator } from '../images/providers.js';
import { ProceduralImageGenerator } from '../images/procedural/procedural-image-generator.js';
import type { VideoGenerator } from '../generators/types.js';
import { createVideoBackendChain } from '../generators/registry.js';
import { FallbackVideoGenerator } from '../generators/fallback-video-generator.js';
import { countNoun } from '../text/count-noun.js';
import { MILESTONES, segmentProgress } from './progress.js';
import type { Pipeline, PipelineResult, PipelineRunContext } from './types.js';

export interface PipelineParts {
  planner: Planner;
  images: ImageGenerator;
  generator: VideoGenerator;
  ffmpeg: Ffmpeg;
  /** Probes already taken of finished clips (by the generator's clip check), reused at stitching. */
  probed?: Map<string, Promise<ProbeResult>>;
}

/** Fixed providers for every run; `images` defaults to the offline procedural image provider. */
export type PipelineProviders = Omit<PipelineParts, 'images'> & { images?: ImageGenerator };

const pad = (n: number) => String(n).padStart(2, '0');

/** Builds the providers for one run from its effective config; `log` writes to the job log. */
export type PartsFactory = (config: AppConfig, log: (message: string) => void) => PipelineParts;

/** Runs a reporter call without awaiting it: a failed progress or log write must not become an unhandled rejection. */
function fireAndForget(write: () => Promise<void>): void {
  try {
    write().catch(() => undefined);
  } catch {
    // A reporter that throws synchronously is ignored the same way.
  }
}

export class VideoPipeline implements Pipeline {
  private readonly parts: PartsFactory;

  /**
   * Either fixed providers (constructor injection: tests, embedding) or a factory that builds them
   * from each run's effective config (the service, where a job may override default_backend).
   */
  constructor(parts: PartsFactory | PipelineProviders) {
    if (typeof parts === 'function') {
      this.parts = parts;
    } else {
      const fixed: PipelineParts = { ...parts, images: parts.images ?? new ProceduralImageGenerator(parts.ffmpeg) };
      this.parts = () => fixed;
    }
  }

  async run(ctx: PipelineRunContext): Promise<PipelineResult> {
    try {
      return await this.stages(ctx, this.parts(ctx.config, (m) => fireAndForget(() => ctx.reporter.log(m))));
    } catch (err) {
      if (err instanceof CanceledError || ctx.signal.aborted) throw err instanceof CanceledError ? err : new CanceledError();
      const client = toClientError(err, { workDir: ctx.workDir, fallback: 'Unexpected error while generating the video' });
      throw new PipelineError(client.message, { retryable: client.retryable, cause: err });
    }
  }

  private async stages(ctx: PipelineRunContext, parts: PipelineParts): Promise<PipelineResult> {
    const { planner, generator, ffmpeg, images } = parts;
    const { reporter, signal, config } = ctx;
    const seconds = config.segment_duration_seconds;

    await reporter.progress(MILESTONES.setup.progress, 'planning', MILESTONES.setup.message);
    throwIfAborted(signal);
    await reporter.progress(MILESTONES.init.progress, 'planning', MILESTONES.init.message);
    throwIfAborted(signal);
    await reporter.progress(MILESTONES.planning.progress, 'planning', MILESTONES.planning.message);
    const maxPromptLength = generator.capabilities().maxPromptLength;
    const planned = await planner.plan({ prompt: ctx.prompt, segmentDurationSeconds: seconds, maxPromptLength }, { signal });
    const plan = ctx.segmentCount ? fitSegments(planned, ctx.segmentCount, maxPromptLength) : planned;
    throwIfAborted(signal);
    if (plan.segments.length === 0) throw new PipelineError('The planner produced no segments');
    await reporter.log(`Plan: ${plan.reasoning}`);
    for (const s of plan.segments) {
      const problems = generator.validate({ prompt: s.videoPrompt, durationSeconds: seconds, segment: s.segment, aspectRatio: config.video_aspect_ratio });
      if (problems.length) throw new PipelineError(`Segment ${s.segment} cannot be generated by ${generator.id}: ${problems.join('; ')}`);
    }
    // The cost guard runs before any keyframe or video call: a job over budget costs nothing.
    const estimate = plan.segments.length * generator.estimateCost(seconds);
    await reporter.estimate?.(estimate);
    if (config.max_cost_per_video !== null && estimate > config.max_cost_per_video) {
      throw new PipelineError(`Estimated cost $${estimate.toFixed(2)} (${countNoun(plan.segments.length, 'segment')} on ${generator.id}) exceeds max_cost_per_video $${config.max_cost_per_video.toFixed(2)}`);
    }
    if (estimate > 0) await reporter.log(`Estimated video cost: $${estimate.toFixed(2)} on ${generator.id}`);

    const framesDir = join(ctx.workDir, 'frames');
    const videosDir = join(ctx.workDir, 'videos');
    await mkdir(framesDir, { recursive: true });
    await mkdir(videosDir, { recursive: true });
    await writeFile(join(ctx.workDir, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);
    const total = plan.segments.length;
    const caps = generator.capabilities();
    const mode = config.generation_mode;
    if (mode === 'keyframe' && !caps.firstLastFrame && !caps.imageToVideo) {
      throw new PipelineError(`generation_mode keyframe needs a backend that takes frames; ${generator.id} does not`);
    }
    if (mode === 'chaining' && !caps.imageToVideo && !caps.textToVideo) {
      throw new PipelineError(`generation_mode chaining needs an image-to-video backend; ${generator.id} is not one`);
    }

    // Keyframes: the initial frame (unless initial_image is given), and in keyframe mode the last
    // frame of every segment, each image-to-image from the previous one.
    const { width, height } = config.procedural;
    const keyframeCount = mode === 'keyframe' ? total : 0;
    // Keyframe mode always starts from an initial frame; chaining needs one only when the backend
    // cannot start from text (image-to-video only), otherwise segment 1 is text-to-video.
    const needInitial = !config.initial_image && (mode === 'keyframe' || !caps.textToVideo);
    // One count for the announcement and for every "Keyframe k/N" after it, the initial frame included.
    const frameTotal = keyframeCount + (needInitial ? 1 : 0);
    let framesDone = 0;
    const frameDone = () => {
      framesDone += 1;
      return reporter.progress(MILESTONES.keyframes.progress + Math.floor((20 * framesDone) / frameTotal), 'keyframes', `Keyframe ${framesDone}/${frameTotal} generated`);
    };
    await reporter.progress(MILESTONES.keyframes.progress, 'keyframes', frameTotal > 0
      ? `Generating ${countNoun(frameTotal, 'keyframe')}`
      : `No keyframes to generate (${config.initial_image ? 'initial_image is the first frame' : 'chaining mode: segment 1 starts from the prompt text'})`);
    let initial: string | undefined = config.initial_image;
    if (needInitial) {
      initial = await images.generate({
        prompt: `First frame establishing shot: ${plan.segments[0]!.keyframePrompt}`, outputPath: join(framesDir, 'segment_00.png'), width, height,
      }, { signal });
      await frameDone();
    }
    const keyframes: string[] = [];
    let previous = initial;
    for (let k = 0; k < keyframeCount; k += 1) {
      throwIfAborted(signal);
      const s = plan.segments[k]!;
      previous = await images.generate({
        prompt: s.keyframePrompt, outputPath: join(framesDir, `segment_${pad(s.segment)}.png`), inputImage: previous, width, height,
      }, { signal });
      keyframes.push(previous);
      await frameDone();
    }

    throwIfAborted(signal);
    await reporter.progress(MILESTONES.segments.progress, 'segments', `Generating ${countNoun(total, 'video segment')}`);
    const clips: string[] = new Array<string>(total);
    // Each clip is probed as soon as it exists, while the next one is generated, so that the
    // stitch stage only has to join them.
    const probes: Promise<ProbeResult>[] = new Array<Promise<ProbeResult>>(total);
    const fractions = new Array<number>(total).fill(0);
    // Progress inside the stage only grows: parallel lanes report clip fractions, completions report
    // counts, and whichever is further ahead wins.
    let lastReported: number = MILESTONES.segments.progress;
    const report = () => {
      const p = segmentProgress(fractions.reduce((a, b) => a + b, 0) / total);
      if (p > lastReported) {
        lastReported = p;
        fireAndForget(() => reporter.progress(p, 'segments'));
      }
    };
    let completed = 0;
    const runSegment = async (index: number, firstFrame: string | undefined, lastFrame: string | undefined, lastFrameOutput?: string) => {
      throwIfAborted(signal);
      const s = plan.segments[index]!;
      const outputPath = join(videosDir, `segment_${pad(s.segment)}.mp4`);
      await generator.generate({ prompt: s.videoPrompt, durationSeconds: seconds, outputPath, segment: s.segment, firstFrame, lastFrame, lastFrameOutput, aspectRatio: config.video_aspect_ratio }, {
        signal,
        onProgress: (fraction) => {
          fractions[index] = fraction;
          report();
        },
        log: (m) => fireAndForget(() => reporter.log(m)),
      });
      clips[index] = outputPath;
      probes[index] = parts.probed?.get(outputPath) ?? ffmpeg.probe(outputPath, { signal });
      probes[index].catch(() => undefined); // awaited at stitching; avoid an unhandled rejection meanwhile
      fractions[index] = 1;
      completed += 1;
      lastReported = Math.max(lastReported, segmentProgress(completed / total));
      await reporter.progress(lastReported, 'segments', `Segment ${s.segment}/${total} generated`);
    };
    if (mode === 'keyframe') {
      // Segments between keyframes are independent: run up to parallel_segments at once.
      const limit = Math.max(1, Math.min(config.parallel_segments, total));
      let nextIndex = 0;
      const lane = async () => {
        while (nextIndex < total) {
          const index = nextIndex++;
          const first = index === 0 ? initial : keyframes[index - 1];
          await runSegment(index, first, keyframes[index]);
        }
      };
      await Promise.all(Array.from({ length: limit }, lane));
    } else {
      // Chaining: segment k+1 starts on the last frame of segment k, so it runs in order.
      let first = initial;
      for (let index = 0; index < total; index += 1) {
        const lastFramePath = index + 1 < total ? join(framesDir, `segment_${pad(index + 1)}_last.png`) : undefined;
        await runSegment(index, first, undefined, lastFramePath);
        if (lastFramePath) {
          if (!existsSync(lastFramePath)) {
            // The backend gave no last frame: take it from the clip, which must have a picture.
            if (!(await probes[index]!).video) throw new PipelineError(`Segment ${plan.segments[index]!.segment} has no video stream`);
            await ffmpeg.extractLastFrame(clips[index]!, lastFramePath, { signal });
          }
          first = lastFramePath;
        }
      }
    }

    throwIfAborted(signal);
    await reporter.progress(MILESTONES.stitching.progress, 'stitching', MILESTONES.stitching.message);
    const finalVideoPath = join(ctx.workDir, 'final_video.mp4');
    const clipProbes = await Promise.all(probes);
    const silent = clipProbes.findIndex((p) => !p.video);
    if (silent >= 0) throw new PipelineError(`Segment ${silent + 1} has no video stream`);
    const joined = await ffmpeg.concat(clips, finalVideoPath, { signal, workDir: ctx.workDir, probes: clipProbes });
    await reporter.log(joined.mode === 'copy' ? 'Segments joined by stream copy' : 'Segments differed; normalised before joining');
    // A stream copy of clips that were all probed with a video stream keeps that stream; a
    // normalised join went through encoders, so its result is checked.
    if (joined.mode === 'normalized') {
      const probe = await ffmpeg.probe(finalVideoPath, { signal });
      if (!probe.video) throw new PipelineError('The stitched video has no video stream');
    }
    // Behind a fallback chain, each clip is priced by the backend that made it.
    const cost = generator instanceof FallbackVideoGenerator ? generator.spentUsd : total * generator.estimateCost(seconds);
    return { finalVideoPath, segmentCount: total, plannedDurationSeconds: total * seconds, estimatedCostUsd: cost };
  }
}

/**
 * A plan with exactly `count` segments, for a job that asked for a total duration: extra segments are
 * merged into the last kept one (their prompts joined, cut to the backend's limit); missing ones
 * continue the last.
 */
export function fitSegments(plan: Plan, count: number, maxPromptLength: number): Plan {
  if (plan.segments.length === count || plan.segments.length === 0) return plan;
  const cut = (text: string) => [...text].slice(0, maxPromptLength).join('');
  const segments: SegmentPlan[] = [];
  for (let i = 0; i < count; i += 1) {
    const from = Math.floor((i * plan.segments.length) / count);
    const to = Math.max(from + 1, Math.floor(((i + 1) * plan.segments.length) / count));
    const group = plan.segments.slice(from, to);
    const source = group[0] ?? plan.segments[plan.segments.length - 1]!;
    segments.push({
      segment: i + 1,
      videoPrompt: cut(group.map((s) => s.videoPrompt).join(' ')),
      keyframePrompt: group[group.length - 1]?.keyframePrompt ?? source.keyframePrompt,
    });
  }
  return { reasoning: `${plan.reasoning} (fitted to ${count} segment${count === 1 ? '' : 's'})`, segments };
}

/**
 * The pipeline: for each run, the planner, image and video providers are chosen from the run's
 * effective config (prompt_enhancement_model, image_generation_model, default_backend).
 */
export function createPipeline(): VideoPipeline {
  return new VideoPipeline((config, log) => {
    const ffmpeg = Ffmpeg.fromConfig(config);
    const probed = new Map<string, Promise<ProbeResult>>();
    return {
      planner: createPlanner(config, log),
      images: createImageGenerator(config, ffmpeg, log),
      // A clip a backend hands back must have a picture, or the next backend gets the segment. The
      // probe is kept for stitching, so every clip is probed once.
      generator: createVideoBackendChain(config, { ffmpeg }, async (path, signal) => {
        const probing = ffmpeg.probe(path, { signal });
        probed.set(path, probing);
        const probe = await probing.catch(() => null);
        if (!probe?.video) {
          probed.delete(path);
          throw new GenerationError('clip check', 'no-output', 'the clip has no readable video stream');
        }
      }),
      ffmpeg,
      probed,
    };
  });
}
