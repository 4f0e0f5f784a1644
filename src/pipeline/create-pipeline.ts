// Assembly: the pipeline the service and `ttv generate` run, its planner, image and video providers
// chosen for each run from the run's effective config (prompt_enhancement_model,
// image_generation_model, default_backend and its fallback chain).
import { GenerationError } from '../errors/generation-error.js';
import { createVideoBackendChain } from '../generators/registry.js';
import { createImageGenerator } from '../images/providers.js';
import { Ffmpeg } from '../media/ffmpeg.js';
import { createPlanner } from '../planning/create-planner.js';
import { VideoPipeline } from './video-pipeline.js';

export function createPipeline(): VideoPipeline {
  return new VideoPipeline((config, log) => {
    const ffmpeg = Ffmpeg.fromConfig(config);
    return {
      planner: createPlanner(config, log),
      images: createImageGenerator(config, ffmpeg, log),
      // A clip a backend hands back must have a picture, or the next backend gets the segment. The
      // probe travels with the clip to stitching, so every clip is probed once.
      generator: createVideoBackendChain(config, { ffmpeg }, async (path, signal) => {
        const probe = await ffmpeg.probe(path, { signal }).catch(() => null);
        if (!probe?.video) throw new GenerationError('clip check', 'no-output', 'the clip has no readable video stream');
        return probe;
      }),
      ffmpeg,
    };
  });
}
