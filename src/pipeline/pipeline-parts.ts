// The providers one pipeline run uses, and how they are chosen for a run.
import type { AppConfig } from '../config/schema.js';
import type { Ffmpeg } from '../media/ffmpeg.js';
import type { ImageGenerator } from '../images/types.js';
import type { Planner } from '../planning/types.js';
import type { VideoGenerator } from '../generators/types.js';

export interface PipelineParts {
  planner: Planner;
  images: ImageGenerator;
  generator: VideoGenerator;
  ffmpeg: Ffmpeg;
}

/** Fixed providers for every run; `images` defaults to the offline procedural image provider. */
export type PipelineProviders = Omit<PipelineParts, 'images'> & { images?: ImageGenerator };

/** Builds the providers for one run from its effective config; `log` writes to the job log. */
export type PartsFactory = (config: AppConfig, log: (message: string) => void) => PipelineParts;
