// Stage 2: the first frame (unless initial_image is given or the mode needs none) and the mode's
// keyframes, each image-to-image from the previous one.
import { join } from 'node:path';
import { throwIfAborted } from '../../errors/canceled-error.js';
import type { Plan } from '../../planning/types.js';
import { countNoun } from '../../text/count-noun.js';
import type { Frames, GenerationMode } from '../modes/generation-mode.js';
import { MILESTONES } from '../progress.js';
import { pad, type StageContext } from './stage-context.js';

export async function keyframesStage({ run, parts, framesDir }: StageContext, plan: Plan, mode: GenerationMode): Promise<Frames> {
  const { reporter, signal, config } = run;
  const { images, generator } = parts;
  const { width, height } = config.procedural;
  const keyframeCount = mode.keyframeCount(plan.segments.length);
  const needInitial = !config.initial_image && mode.needsInitialFrame(generator.capabilities());
  // One count for the announcement and for every "Keyframe k/N" after it, the initial frame included.
  const frameTotal = keyframeCount + (needInitial ? 1 : 0);
  let framesDone = 0;
  const frameDone = () => {
    framesDone += 1;
    return reporter.progress(MILESTONES.keyframes.progress + Math.floor((20 * framesDone) / frameTotal), 'keyframes', `Keyframe ${framesDone}/${frameTotal} generated`);
  };
  await reporter.progress(MILESTONES.keyframes.progress, 'keyframes', frameTotal > 0
    ? `Generating ${countNoun(frameTotal, 'keyframe')}`
    : `No keyframes to generate (${config.initial_image ? 'initial_image is the first frame' : `${mode.name} mode: segment 1 starts from the prompt text`})`);
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
  return { initial, keyframes };
}
