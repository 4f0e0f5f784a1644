// Before the plan: a run that continues a finished video (extend) or redoes it (remix) takes that
// video's last or first frame as its first frame; an extension also opens with the source clip, so
// the stitch stage joins source + new segments into one file.
import { join } from 'node:path';
import { PipelineError } from '../../errors/pipeline-error.js';
import type { SegmentClip } from '../modes/generation-mode.js';
import type { PipelineParts } from '../pipeline-parts.js';
import type { PipelineRunContext } from '../types.js';

export async function startFromSource(
  ctx: PipelineRunContext,
  parts: PipelineParts,
): Promise<{ ctx: PipelineRunContext; sourceClip: SegmentClip | null }> {
  const source = ctx.sourceVideo;
  if (!source) return { ctx, sourceClip: null };
  const { ffmpeg } = parts;
  const probe = await ffmpeg.probe(source.path, { signal: ctx.signal });
  if (!probe.video) throw new PipelineError('The source video has no video stream');
  const frame = join(ctx.workDir, 'frames', `source_${source.use === 'extend' ? 'last' : 'first'}.png`);
  if (source.use === 'extend') await ffmpeg.extractLastFrame(source.path, frame, { signal: ctx.signal });
  else await ffmpeg.extractFirstFrame(source.path, frame, { signal: ctx.signal });
  await ctx.reporter.log(
    source.use === 'extend'
      ? "Extension starts on the source video's last frame"
      : "Remix starts on the source video's first frame",
  );
  const next = { ...ctx, config: { ...ctx.config, initial_image: frame } };
  return {
    ctx: next,
    sourceClip: source.use === 'extend' ? { segment: 0, path: source.path, probe: Promise.resolve(probe) } : null,
  };
}
