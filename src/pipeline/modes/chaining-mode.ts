// Chaining mode: segment k+1 starts on the last frame of segment k, so segments run in order and
// no keyframes are made; segment 1 starts from text unless the backend needs a first frame.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PipelineError } from '../../errors/pipeline-error.js';
import type { Ffmpeg } from '../../media/ffmpeg.js';
import { pad } from '../stages/stage-context.js';
import type { GenerationMode } from './generation-mode.js';
import { modeProblem } from './mode-problems.js';

export function chainingMode(ffmpeg: Ffmpeg, signal: AbortSignal): GenerationMode {
  return {
    name: 'chaining',
    backendProblem: (id, caps, segments, model) => modeProblem('chaining', id, caps, segments, model),
    keyframeCount: () => 0,
    // A backend that cannot start from text (image-to-video only) needs a first frame.
    needsInitialFrame: (caps) => !caps.textToVideo,
    async runSegments(run, { initial }) {
      let first = initial;
      for (let index = 0; index < run.total; index += 1) {
        const lastFramePath =
          index + 1 < run.total ? join(run.framesDir, `segment_${pad(index + 1)}_last.png`) : undefined;
        const clip = await run.segment(index, first, undefined, lastFramePath);
        if (lastFramePath) {
          if (!existsSync(lastFramePath)) {
            // The backend gave no last frame: take it from the clip, which must have a picture.
            if (!(await clip.probe).video) throw new PipelineError(`Segment ${clip.segment} has no video stream`);
            await ffmpeg.extractLastFrame(clip.path, lastFramePath, { signal });
          }
          first = lastFramePath;
        }
      }
    },
  };
}
