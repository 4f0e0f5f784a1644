import type { AppConfig } from '../../config/schema.js';
import type { Ffmpeg } from '../../media/ffmpeg.js';
import { chainingMode } from './chaining-mode.js';
import type { GenerationMode } from './generation-mode.js';
import { keyframeMode } from './keyframe-mode.js';

/** The mode strategy of a run's generation_mode. */
export function selectMode(config: AppConfig, ffmpeg: Ffmpeg, signal: AbortSignal): GenerationMode {
  return config.generation_mode === 'keyframe' ? keyframeMode(config.parallel_segments) : chainingMode(ffmpeg, signal);
}
