// What each video backend can render under this config, in one shape: GET /v1/capabilities lists it,
// and the per-job option check reads it, so what a client is told and what it may send agree.
import type { AppConfig } from '../config/schema.js';
import { createVideoGenerator, knownBackends, normalizeBackendId } from './registry.js';

/** Backends whose generator sends a seed (procedural.seed, runway_ml.seed, hunyuan_video.seed). */
const SEEDED = new Set(['procedural', 'runway', 'hunyuan']);
/** Backends whose frame size a job may choose (resolution); the others render per aspect ratio. */
const SIZED = new Set(['procedural']);

export interface BackendSummary {
  id: string;
  /** False when the backend cannot be built with this config (a missing key or model path). */
  available: boolean;
  /** Why it is not available (no secrets: the backend's own config message). */
  problem: string | null;
  /** Exact clip lengths, or null when any length in [min, max] is accepted. */
  durations: number[] | null;
  min_duration_seconds: number | null;
  max_duration_seconds: number | null;
  /** Aspect ratios ("16:9"), or null when any is rendered. */
  aspect_ratios: string[] | null;
  text_to_video: boolean;
  image_to_video: boolean;
  first_last_frame: boolean;
  seed: boolean;
  resolution: boolean;
  negative_prompt: boolean;
  /** Estimated USD per second of video (0 offline). */
  usd_per_second: number | null;
  max_prompt_length: number | null;
  /** The catalog model this backend renders with under this config (GET /v1/models has its row), or null (local backends). */
  model: string | null;
  /** That model's lifecycle status in the catalog (ga, preview, deprecated), or null. */
  model_lifecycle: string | null;
}

export function describeBackend(rawId: string, config: AppConfig): BackendSummary {
  const id = normalizeBackendId(rawId);
  const base = { id, seed: SEEDED.has(id), resolution: SIZED.has(id), negative_prompt: false };
  try {
    const generator = createVideoGenerator(id, config);
    const caps = generator.capabilities();
    const exact = caps.durations ?? null;
    return {
      ...base,
      available: true,
      problem: null,
      durations: exact,
      min_duration_seconds: caps.minDurationSeconds,
      max_duration_seconds: caps.maxDurationSeconds,
      aspect_ratios: caps.aspectRatios ?? null,
      text_to_video: caps.textToVideo,
      image_to_video: caps.imageToVideo,
      first_last_frame: caps.firstLastFrame,
      usd_per_second: generator.estimateCost(1),
      max_prompt_length: caps.maxPromptLength,
      model: generator.configuredModel?.row.id ?? null,
      model_lifecycle: generator.configuredModel?.row.lifecycle.status ?? null,
    };
  } catch (err) {
    return {
      ...base,
      available: false,
      problem: (err as Error).message,
      durations: null,
      min_duration_seconds: null,
      max_duration_seconds: null,
      aspect_ratios: null,
      text_to_video: false,
      image_to_video: false,
      first_last_frame: false,
      usd_per_second: null,
      max_prompt_length: null,
      model: null,
      model_lifecycle: null,
    };
  }
}

export function describeBackends(config: AppConfig): BackendSummary[] {
  return knownBackends().map((id) => describeBackend(id, config));
}

/** "4, 6, 8" or "0.5–60". */
export function durationChoices(summary: BackendSummary): string {
  if (summary.durations) return summary.durations.join(', ');
  return `${summary.min_duration_seconds}–${summary.max_duration_seconds}`;
}

export function acceptsDuration(summary: BackendSummary, seconds: number): boolean {
  if (summary.durations) return summary.durations.includes(seconds);
  return (
    summary.min_duration_seconds !== null &&
    summary.max_duration_seconds !== null &&
    seconds >= summary.min_duration_seconds &&
    seconds <= summary.max_duration_seconds
  );
}
