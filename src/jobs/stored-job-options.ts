// Per-job options a client may choose (server.job_options), as stored inside the job's request and
// as shown in the job object. The stored form carries the first-frame image itself (so that a worker
// on another host can read it from the job store) until the job ends; the shown form never carries
// bytes or secrets.
import type { JobOptionName } from '../config/schema.js';

export type JobImageType = 'image/png' | 'image/jpeg' | 'image/webp';

export interface JobImage {
  content_type: JobImageType;
  /**
   * The image bytes, base64. Dropped from the stored request when the job ends (finished, failed or
   * canceled): a job that can still run always has them.
   */
  data_base64?: string;
  bytes: number;
  sha256: string;
}

export interface JobWebhook {
  url: string;
  events: string[];
}

export interface JobOptions {
  backend?: string;
  generation_mode?: 'keyframe' | 'chaining';
  /** Length of the whole video. */
  duration_seconds?: number;
  segment_duration_seconds?: number;
  aspect_ratio?: string;
  /** "WIDTHxHEIGHT". */
  resolution?: string;
  seed?: number;
  negative_prompt?: string;
  image?: JobImage;
  webhook?: JobWebhook;
  max_cost_usd?: number;
}

/** An image as a submission makes it: with its bytes (only an ended job's image lacks them). */
export type JobImageWithBytes = JobImage & { data_base64: string };

/** What the job object shows: the image as its type, size and digest. */
export type PublicJobOptions = Omit<JobOptions, 'image'> & { image?: Omit<JobImage, 'data_base64'> };

/** Names of the options a request carries. */
export function optionNames(options: JobOptions | undefined): JobOptionName[] {
  return options ? (Object.keys(options) as JobOptionName[]).filter((k) => options[k] !== undefined) : [];
}

export function publicOptions(options: JobOptions | undefined): PublicJobOptions | null {
  if (!options || optionNames(options).length === 0) return null;
  const { image, ...rest } = options;
  return image
    ? { ...rest, image: { content_type: image.content_type, bytes: image.bytes, sha256: image.sha256 } }
    : { ...rest };
}

/**
 * Segment length and count a job's options ask for: duration_seconds alone is one clip of that
 * length; with segment_duration_seconds it is that many segments of it; neither = the planner decides.
 */
export function segmentPlanOf(
  options: JobOptions | undefined,
  defaultSegmentSeconds: number,
): { segmentSeconds: number; segmentCount: number | null } {
  const total = options?.duration_seconds;
  const segment = options?.segment_duration_seconds;
  if (total !== undefined && segment !== undefined)
    return { segmentSeconds: segment, segmentCount: Math.max(1, Math.round(total / segment)) };
  if (total !== undefined) return { segmentSeconds: total, segmentCount: 1 };
  return { segmentSeconds: segment ?? defaultSegmentSeconds, segmentCount: null };
}
