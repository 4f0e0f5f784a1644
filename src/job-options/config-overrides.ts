// The HTTP request's part of the effective config (HTTP > CLI > file): the prompt, and the per-job
// options the operator allowed, each mapped onto the config key the pipeline already reads.
import type { AppConfig } from '../config/schema.js';
import type { JobRequest } from '../jobs/job.js';
import { segmentPlanOf } from '../jobs/stored-job-options.js';
import { sizeForAspect } from '../media/frame-geometry.js';

/** Even pixel size of an aspect ratio whose long side is `longSide`: 16:9 at 640 → 640x360, 9:16 → 360x640. */
export const framesizeFor = sizeForAspect;

export interface JobOverrideExtras {
  /** Where the worker wrote the job's first-frame image. */
  imagePath?: string;
}

export function applyJobOverrides(config: AppConfig, request: JobRequest, extras: JobOverrideExtras = {}): AppConfig {
  const o = request.options;
  const out: AppConfig = { ...config, prompt: request.prompt };
  if (!o) return out;
  if (o.backend) out.default_backend = o.backend;
  if (o.generation_mode) out.generation_mode = o.generation_mode;
  out.segment_duration_seconds = segmentPlanOf(o, config.segment_duration_seconds).segmentSeconds;
  if (o.aspect_ratio) out.video_aspect_ratio = o.aspect_ratio;
  let procedural = config.procedural;
  if (o.resolution) {
    const [width, height] = o.resolution.split('x').map(Number) as [number, number];
    procedural = { ...procedural, width, height };
  } else if (o.aspect_ratio) {
    procedural = { ...procedural, ...framesizeFor(o.aspect_ratio, Math.max(procedural.width, procedural.height)) };
  }
  if (o.seed !== undefined) {
    procedural = { ...procedural, seed: o.seed };
    out.runway_ml = { ...config.runway_ml, seed: o.seed };
    out.hunyuan_video = { ...config.hunyuan_video, seed: o.seed };
  }
  out.procedural = procedural;
  // A job may lower the operator's cost ceiling, never raise it.
  if (o.max_cost_usd !== undefined)
    out.max_cost_per_video = Math.min(config.max_cost_per_video ?? Infinity, o.max_cost_usd);
  if (extras.imagePath) out.initial_image = extras.imagePath;
  return out;
}
