// Stage 4: join the clips into final_video.mp4; every clip and the result must have a picture.
import { join } from 'node:path';
import { throwIfAborted } from '../../errors/canceled-error.js';
import { PipelineError } from '../../errors/pipeline-error.js';
import type { SegmentClip } from '../modes/generation-mode.js';
import { MILESTONES } from '../progress.js';
import type { StageContext } from './stage-context.js';

/** The path of the stitched video. */
export async function stitchStage({ run, parts }: StageContext, clips: SegmentClip[]): Promise<string> {
  const { reporter, signal } = run;
  const { ffmpeg } = parts;
  throwIfAborted(signal);
  await reporter.progress(MILESTONES.stitching.progress, 'stitching', MILESTONES.stitching.message);
  const finalVideoPath = join(run.workDir, 'final_video.mp4');
  const clipProbes = await Promise.all(clips.map((c) => c.probe));
  const silent = clipProbes.findIndex((p) => !p.video);
  if (silent >= 0) throw new PipelineError(`Segment ${silent + 1} has no video stream`);
  const joined = await ffmpeg.concat(
    clips.map((c) => c.path),
    finalVideoPath,
    { signal, workDir: run.workDir, probes: clipProbes },
  );
  await reporter.log(
    joined.mode === 'copy' ? 'Segments joined by stream copy' : 'Segments differed; normalised before joining',
  );
  // A stream copy of clips that were all probed with a video stream keeps that stream; a
  // normalised join went through encoders, so its result is checked.
  if (joined.mode === 'normalized') {
    const probe = await ffmpeg.probe(finalVideoPath, { signal });
    if (!probe.video) throw new PipelineError('The stitched video has no video stream');
  }
  return finalVideoPath;
}
