// Assembly: the pipeline the service and `ttv generate` run, its planner, image and video providers
// chosen for each run from the run's effective config (prompt_enhancement_model,
// image_generation_model, default_backend and its fallback chain).
import { GenerationError } from '../errors/generation-error.js';
import { DiskFullError } from '../errors/disk-full-error.js';
import type { DiskGuard } from '../storage/disk-guard.js';
import { createVideoBackendChain } from '../generators/registry.js';
import { createImageGenerator } from '../images/providers.js';
import { Ffmpeg, type ProbeResult } from '../media/ffmpeg.js';
import { createPlanner } from '../planning/create-planner.js';
import { VideoPipeline } from './video-pipeline.js';

export interface CreatePipelineOptions {
  /** The worker's disk guard: a clip that cannot be read while it reports low space was cut short by a full disk. */
  disk?: ClipCheckDisk;
}

export type ClipCheckDisk = Pick<DiskGuard, 'dir' | 'reason' | 'forget'>;

/**
 * A clip a backend hands back must have a picture, or the next backend gets the segment. An
 * unreadable clip while the disk guard reports low space was cut short by the full disk: that is
 * said (DiskFullError, the job goes back to the queue), not "no readable video stream".
 */
export function clipCheck(
  ffmpeg: Ffmpeg,
  disk?: ClipCheckDisk,
): (path: string, signal: AbortSignal) => Promise<ProbeResult> {
  return async (path, signal) => {
    const probe = await ffmpeg.probe(path, { signal }).catch(() => null);
    if (probe?.video) return probe;
    if (disk) {
      // A fresh reading: the cached one may predate the write that filled the disk.
      disk.forget();
      const low = disk.reason();
      if (low)
        throw new DiskFullError(disk.dir, { detail: `a clip was cut short; ${low.replace(/; new jobs wait$/, '')}` });
    }
    throw new GenerationError('clip check', 'no-output', 'the clip has no readable video stream');
  };
}

export function createPipeline(options: CreatePipelineOptions = {}): VideoPipeline {
  return new VideoPipeline((config, log) => {
    const ffmpeg = Ffmpeg.fromConfig(config);
    return {
      planner: createPlanner(config, log),
      images: createImageGenerator(config, ffmpeg, log),
      // The probe travels with the clip to stitching, so every clip is probed once.
      generator: createVideoBackendChain(config, { ffmpeg }, clipCheck(ffmpeg, options.disk)),
      ffmpeg,
    };
  });
}
