// A job as the OpenAI Videos API shows it (the `Video` object of the official SDKs): same job, other
// face. Times are epoch seconds; ttv's six states fold into OpenAI's four.
import type { AppConfig } from '../../config/schema.js';
import type { JobRecord } from '../../jobs/job.js';
import { normalizeBackendId } from '../../generators/registry.js';
import { framesizeFor } from '../../job-options/config-overrides.js';

export interface VideoObject {
  id: string;
  object: 'video';
  status: 'queued' | 'in_progress' | 'completed' | 'failed';
  progress: number;
  created_at: number;
  completed_at: number | null;
  expires_at: number | null;
  model: string;
  prompt: string;
  seconds: string;
  size: string;
  remixed_from_video_id: string | null;
  /** ttv's own field (OpenAI's object has none): the video this one extends. */
  extended_from_video_id: string | null;
  error: { code: string; message: string } | null;
}

const epoch = (iso: string | null) => (iso ? Math.floor(Date.parse(iso) / 1000) : null);

/** The OpenAI status of a ttv status. */
export function videoStatus(status: JobRecord['status']): VideoObject['status'] {
  if (status === 'queued') return 'queued';
  if (status === 'finished') return 'completed';
  if (status === 'failed' || status === 'canceled') return 'failed';
  return 'in_progress';
}

/** What ffprobe read from a finished video's file. */
export interface RenderedFacts {
  width: number;
  height: number;
  seconds: number;
}

/**
 * `rendered`: the finished file's own size and length (they win over the plan); `artifactDays`: how
 * long retention keeps a finished file (0 = forever, or not ttv's to delete).
 */
export function toVideoObject(
  job: JobRecord,
  config: AppConfig,
  rendered: RenderedFacts | null = null,
  artifactDays = 0,
): VideoObject {
  const named = job.request?.openai;
  const options = job.request?.options;
  const backend = normalizeBackendId(options?.backend ?? config.default_backend);
  const aspect = options?.aspect_ratio ?? config.video_aspect_ratio ?? '16:9';
  // Before the file exists, the plan: the asked resolution, else what the backend makes of the aspect.
  const plannedSize = () => {
    if (options?.resolution) return options.resolution;
    if (named?.size) return named.size;
    const long = backend === 'procedural' ? Math.max(config.procedural.width, config.procedural.height) : 1280;
    const { width, height } = framesizeFor(aspect, long);
    return `${width}x${height}`;
  };
  const source = job.request?.source;
  const finishedAt = epoch(job.finished_at);
  const status = videoStatus(job.status);
  return {
    id: job.id,
    object: 'video',
    status,
    progress: job.progress,
    created_at: epoch(job.created_at)!,
    completed_at: status === 'completed' ? epoch(job.finished_at) : null,
    expires_at:
      status === 'completed' && artifactDays > 0 && finishedAt !== null
        ? finishedAt + Math.round(artifactDays * 86_400)
        : null,
    model: named?.model ?? backend,
    prompt: job.prompt,
    seconds: rendered
      ? String(Math.round(rendered.seconds))
      : (named?.seconds ??
        (options?.duration_seconds !== undefined
          ? String(options.duration_seconds)
          : String(config.segment_duration_seconds))),
    size: rendered ? `${rendered.width}x${rendered.height}` : plannedSize(),
    remixed_from_video_id: source?.use === 'remix' ? source.job_id : null,
    extended_from_video_id: source?.use === 'extend' ? source.job_id : null,
    error:
      job.status === 'failed'
        ? { code: 'generation_failed', message: job.error ?? 'The video could not be generated' }
        : job.status === 'canceled'
          ? { code: 'canceled', message: 'The video was canceled' }
          : null,
  };
}
