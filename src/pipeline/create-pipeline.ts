// Assembly: the pipeline the service and `ttv generate` run, its planner, image and video providers
// chosen for each run from the run's effective config (prompt_enhancement_model,
// image_generation_model, default_backend and its fallback chain).
import { GenerationError } from '../errors/generation-error.js';
import { DiskFullError } from '../errors/disk-full-error.js';
import type { DiskGuard } from '../worker/disk-guard.js';
import { createVideoBackendChain } from '../generators/registry.js';
import { createImageGenerator } from '../images/providers.js';
import { Ffmpeg } from '../media/ffmpeg.js';
import { createPlanner } from '../planning/create-planner.js';
import { VideoPipeline } from './video-pipeline.js';

export interface CreatePipelineOptions {
  /** The worker's disk guard: a clip that cannot be read while it reports low space was cut short by a full disk. */
  disk?: Pick<DiskGuard, 'dir' | 'reason' | 'forget'>;
}

export function createPipeline(options: CreatePipelineOptions = {}): VideoPipeline {
  const { disk } = options;
  return new VideoPipeline((config, log) => {
    const ffmpeg = Ffmpeg.fromConfig(config);
    return {
      planner: createPlanner(config, log),
      images: createImageGenerator(config, ffmpeg, log),
      // A clip a backend hands back must have a picture, or the next backend gets the segment. The
      // probe travels with the clip to stitching, so every clip is probed once.
      generator: createVideoBackendChain(config, { ffmpeg }, async (path, signal) => {
        const probe = await ffmpeg.probe(path, { signal }).catch(() => null);
        if (!probe?.video) {
          // A fresh reading: the cached one may predate the write that filled the disk.
          disk?.forget();
          const low = disk?.reason() ?? null;
          if (disk && low) throw new DiskFullError(disk.dir, { detail: `a clip was cut short; ${low.replace(/; new jobs wait$/, '')}` });
          throw new GenerationError('clip check', 'no-output', 'the clip has no readable video stream');
        }
        return probe;
      }),
      ffmpeg,
    };
  });
}
