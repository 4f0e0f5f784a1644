// Stage 2: the first frame (unless initial_image is given or the mode needs none) and the mode's
// keyframes, each image-to-image from the previous one, all in the run's frame shape (frame-shape.ts):
// a provider's image of another shape is cropped to it before any video vendor sees it.
import { join } from 'node:path';
import { throwIfAborted } from '../../errors/canceled-error.js';
import { PipelineError } from '../../errors/pipeline-error.js';
import { TtvError } from '../../errors/ttv-error.js';
import { vendorFailureSentence } from '../../errors/vendor-failure.js';
import type { ImageRequest } from '../../images/types.js';
import { aspectValue } from '../../media/frame-geometry.js';
import type { Plan } from '../../planning/types.js';
import { countNoun } from '../../text/count-noun.js';
import { frameShape } from '../frame-shape.js';
import type { Frames, GenerationMode } from '../modes/generation-mode.js';
import { MILESTONES } from '../progress.js';
import { pad, type StageContext } from './stage-context.js';

export async function keyframesStage(
  { run, parts, framesDir }: StageContext,
  plan: Plan,
  mode: GenerationMode,
): Promise<Frames> {
  const { reporter, signal, config } = run;
  const { images, generator, ffmpeg } = parts;
  const shape = frameShape(config, generator.capabilities());
  const { width, height } = shape.size;
  /** Crops `path` (in place, or into `output`) to the run's aspect, saying so in the job log. */
  const fit = async (path: string, what: string, output = path): Promise<string> => {
    const result = await ffmpeg.fitFrame(path, output, { aspect: aspectValue(shape.aspect) }, { signal });
    if (!result.fitted) return path;
    await reporter.log(
      `${what} is ${result.from.width}x${result.from.height}: cropped to ${result.to.width}x${result.to.height} (${shape.aspect})`,
    );
    return output;
  };
  /** One image; a vendor's failure reaches the client as ttv's sentence, its own text only the job log. */
  const image = async (request: ImageRequest, subject: string): Promise<string> => {
    try {
      return await images.generate(request, { signal });
    } catch (err) {
      const sentence = vendorFailureSentence(err, 'image', images.id, subject);
      if (!sentence) throw err;
      await reporter.log(
        `${subject[0]!.toUpperCase()}${subject.slice(1)} failed at ${images.id}: ${(err as Error).message}`,
      );
      throw new PipelineError(sentence, { cause: err, retryable: err instanceof TtvError && err.retryable });
    }
  };
  const keyframeCount = mode.keyframeCount(plan.segments.length);
  const needInitial = !config.initial_image && mode.needsInitialFrame(generator.capabilities());
  // One count for the announcement and for every "Keyframe k/N" after it, the initial frame included.
  const frameTotal = keyframeCount + (needInitial ? 1 : 0);
  let framesDone = 0;
  const frameDone = () => {
    framesDone += 1;
    return reporter.progress(
      MILESTONES.keyframes.progress + Math.floor((20 * framesDone) / frameTotal),
      'keyframes',
      `Keyframe ${framesDone}/${frameTotal} generated`,
    );
  };
  await reporter.progress(
    MILESTONES.keyframes.progress,
    'keyframes',
    frameTotal > 0
      ? `Generating ${countNoun(frameTotal, 'keyframe')}`
      : `No keyframes to generate (${config.initial_image ? 'initial_image is the first frame' : `${mode.name} mode: segment 1 starts from the prompt text`})`,
  );
  if (frameTotal > 0)
    await reporter.log(`Keyframes are asked for at ${width}x${height} (${shape.aspect}) from ${images.id}`);
  let initial: string | undefined = config.initial_image;
  // A given first frame keeps its own shape unless the job's shape is fixed (an aspect asked for, or a
  // backend of fixed ratios, which would reshape it anyway); a vendor that follows the frame then keeps it.
  if (initial && shape.fixed) initial = await fit(initial, 'The initial image', join(framesDir, 'initial_image.png'));
  if (needInitial) {
    const made = await image(
      {
        prompt: `First frame establishing shot: ${plan.segments[0]!.keyframePrompt}`,
        outputPath: join(framesDir, 'segment_00.png'),
        width,
        height,
      },
      'the first frame',
    );
    initial = await fit(made, `The first frame from ${images.id}`);
    await frameDone();
  }
  const keyframes: string[] = [];
  let previous = initial;
  for (let k = 0; k < keyframeCount; k += 1) {
    throwIfAborted(signal);
    const s = plan.segments[k]!;
    const made = await image(
      {
        prompt: s.keyframePrompt,
        outputPath: join(framesDir, `segment_${pad(s.segment)}.png`),
        inputImage: previous,
        width,
        height,
      },
      `keyframe ${s.segment}`,
    );
    previous = await fit(made, `Keyframe ${s.segment} from ${images.id}`);
    keyframes.push(previous);
    await frameDone();
  }
  return { initial, keyframes };
}
