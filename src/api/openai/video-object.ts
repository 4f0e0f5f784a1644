// A job as the OpenAI Videos API shows it (the `Video` object of the official SDKs): same job, other
// face. Times are epoch seconds; ttv's six states fold into OpenAI's four.
import type { AppConfig } from '../../config/schema.js';
import type { JobRecord } from '../../jobs/job.js';
import { normalizeBackendId } from '../../generators/registry.js';
import { framesizeFor } from '../../config/job-overrides.js';

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
  remixed_from_video_id: null;
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

export function toVideoObject(job: JobRecord, config: AppConfig): VideoObject {
  const named = job.request?.openai;
  const options = job.request?.options;
  const backend = normalizeBackendId(options?.backend ?? config.default_backend);
  const aspect = options?.aspect_ratio ?? config.video_aspect_ratio ?? '16:9';
  const shownSize = () => {
    const { width, height } = framesizeFor(aspect, 1280);
    return options?.resolution ?? `${width}x${height}`;
  };
  const status = videoStatus(job.status);
  return {
    id: job.id,
    object: 'video',
    status,
    progress: job.progress,
    created_at: epoch(job.created_at)!,
    completed_at: status === 'completed' ? epoch(job.finished_at) : null,
    expires_at: null,
    model: named?.model ?? backend,
    prompt: job.prompt,
    seconds: named?.seconds ?? (options?.duration_seconds !== undefined ? String(options.duration_seconds) : String(config.segment_duration_seconds)),
    size: named?.size ?? shownSize(),
    remixed_from_video_id: null,
    error: job.status === 'failed'
      ? { code: 'generation_failed', message: job.error ?? 'The video could not be generated' }
      : job.status === 'canceled' ? { code: 'canceled', message: 'The video was canceled' } : null,
  };
}
