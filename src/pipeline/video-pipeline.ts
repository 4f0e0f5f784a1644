// The video pipeline: plan → keyframes → segments → stitch, in the run's generation mode (see
// modes/). Every stage honours the AbortSignal and reports the Python worker's progress milestones.
// The worker and `ttv generate` both run this code; create-pipeline.ts builds its providers.
import { CanceledError } from '../errors/canceled-error.js';
import { PipelineError } from '../errors/pipeline-error.js';
import { toClientError } from '../errors/client-error.js';
import { TtvError } from '../errors/ttv-error.js';
import { AllBackendsFailedError } from '../errors/all-backends-failed-error.js';
import { ProceduralImageGenerator } from '../images/procedural/procedural-image-generator.js';
import { fireAndForget } from './fire-and-forget.js';
import { selectMode } from './modes/select-mode.js';
import { modelSetting } from '../generators/model-setting.js';
import type { PartsFactory, PipelineParts, PipelineProviders } from './pipeline-parts.js';
import { keyframesStage } from './stages/keyframes-stage.js';
import { planStage } from './stages/plan-stage.js';
import { segmentsStage } from './stages/segments-stage.js';
import { stageContext } from './stages/stage-context.js';
import { stitchStage } from './stages/stitch-stage.js';
import type { Pipeline, PipelineResult, PipelineRunContext } from './types.js';
import { startFromSource } from './stages/source-video-stage.js';

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
      return await this.stages(
        ctx,
        this.parts(ctx.config, (m) => fireAndForget(() => ctx.reporter.log(m))),
      );
    } catch (err) {
      if (err instanceof CanceledError || ctx.signal.aborted)
        throw err instanceof CanceledError ? err : new CanceledError();
      // What the client will not read (a vendor's own text) goes to the job log, unless the stage that
      // failed has written it there already (the fallback chain logs every attempt in full).
      if (
        err instanceof TtvError &&
        err.publicMessage !== null &&
        err.publicMessage !== err.message &&
        !(err instanceof AllBackendsFailedError)
      ) {
        await ctx.reporter.log(`Failure detail: ${err.message}`).catch(() => undefined);
      }
      const client = toClientError(err, {
        workDir: ctx.workDir,
        fallback: 'Unexpected error while generating the video',
      });
      throw new PipelineError(client.message, { retryable: client.retryable, cause: err });
    }
  }

  private async stages(given: PipelineRunContext, parts: PipelineParts): Promise<PipelineResult> {
    const { ctx, sourceClip } = await startFromSource(given, parts);
    const stage = stageContext(ctx, parts);
    const plan = await planStage(stage);
    const mode = selectMode(ctx.config, parts.ffmpeg, ctx.signal);
    // After planning, with the real segment count, and before any keyframe or video call.
    const problem = mode.backendProblem(
      parts.generator.id,
      parts.generator.capabilities(),
      plan.segments.length,
      modelSetting(ctx.config, parts.generator.id),
    );
    if (problem) throw new PipelineError(problem);
    const frames = await keyframesStage(stage, plan, mode);
    const { clips, costUsd } = await segmentsStage(stage, plan, mode, frames);
    const finalVideoPath = await stitchStage(stage, sourceClip ? [sourceClip, ...clips] : clips);
    const total = plan.segments.length;
    // Each clip is priced by the backend that made it (behind a fallback chain, not always the first).
    return {
      finalVideoPath,
      segmentCount: total,
      plannedDurationSeconds: total * ctx.config.segment_duration_seconds,
      estimatedCostUsd: costUsd,
    };
  }
}
