// The job record every adapter stores, and the public view of it (DESIGN.md §3 "Job object").
import { redactText } from '../logging/redact.js';
import { publicOptions, type JobOptions, type PublicJobOptions } from './stored-job-options.js';

export const JOB_STATUSES = ['queued', 'started', 'progress', 'finished', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const JOB_STAGES = ['queued', 'planning', 'keyframes', 'segments', 'stitching', 'uploading', 'done'] as const;
export type JobStage = (typeof JOB_STAGES)[number];

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['finished', 'failed', 'canceled']);

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** What a client asked for; stored with the job. Never holds secrets: the worker merges it over its own config. */
export interface JobRequest {
  prompt: string;
  /** Per-job options the operator allowed (server.job_options); absent = the server's config alone. */
  options?: JobOptions;
  /** How the OpenAI-compatible face named the job (POST /v1/videos), echoed in its video object. */
  openai?: { model?: string; size?: string; seconds?: string };
  /**
   * A finished job this one continues (POST /v1/videos/extensions) or remixes (…/{id}/remix), or an
   * uploaded video it extends (job_id and artifact_key null): the upload's bytes travel in the request
   * like a first-frame image's, and are dropped with them when the job ends.
   */
  source?: { job_id: string | null; artifact_key: string | null; use: 'extend' | 'remix'; upload?: UploadedVideo };
}

export interface UploadedVideo {
  bytes: number;
  sha256: string;
  /** Absent once the job has ended. */
  data_base64?: string;
}

export interface JobRecord {
  id: string;
  status: JobStatus;
  stage: JobStage;
  progress: number;
  prompt: string;
  request: JobRequest;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  gcs_uri: string | null;
  artifact_uri: string | null;
  /** Object key inside the artifact store, set with artifact_uri. */
  artifact_key: string | null;
  error: string | null;
  estimated_cost_usd: number | null;
  /** How many times a worker has started this job. */
  attempts: number;
  /** API key id that created the job (null for jobs created before keys existed). */
  owner_key_id: string | null;
  /** 1-based position among queued jobs, null unless queued. */
  queue_position: number | null;
}

/** What a successful attempt produced: where its artifact is stored. */
export interface JobOutcome {
  artifactUri: string;
  artifactKey: string;
  gcsUri: string | null;
}

/** The public JSON shape: every key present, null allowed. */
export interface JobView {
  id: string;
  status: JobStatus;
  stage: JobStage;
  progress: number;
  prompt: string;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  gcs_uri: string | null;
  artifact_uri: string | null;
  error: string | null;
  queue_position: number | null;
  estimated_cost_usd: number | null;
  /** The options the job was submitted with (no image bytes, no secrets), or null. */
  options: PublicJobOptions | null;
}

export function toJobView(job: JobRecord): JobView {
  return {
    id: job.id,
    status: job.status,
    stage: job.stage,
    progress: job.progress,
    prompt: job.prompt,
    created_at: job.created_at,
    started_at: job.started_at,
    finished_at: job.finished_at,
    gcs_uri: job.gcs_uri,
    artifact_uri: job.artifact_uri,
    error: job.error,
    queue_position: job.status === 'queued' ? job.queue_position : null,
    estimated_cost_usd: job.estimated_cost_usd,
    options: publicOptions(job.request?.options),
  };
}

/** The stored idempotency key: scoped to its owner, so two keys' clients never share one. */
export function scopedIdempotencyKey(key: string, owner: string | undefined): string {
  return owner ? `${owner}\u001f${key}` : key;
}

/** Log lines are stored and served as "[ISO-8601] message". */
/** Every job log line of every adapter is made here: the choke point where it is redacted (and so its SSE `log` event). */
export function formatLogLine(message: string, at: Date = new Date()): string {
  return `[${at.toISOString()}] ${redactText(message)}`;
}

export const MAX_LOG_LINES = 1000;

/** Journal entries kept per job (the newest). */
export const MAX_EVENTS = 2000;

/** A finished job's progress; progress is an integer percentage. */
export const MAX_PROGRESS = 100;

/** Progress as stored: an integer in 0..MAX_PROGRESS. */
export function clampProgress(progress: number): number {
  return Number.isFinite(progress) ? Math.max(0, Math.min(MAX_PROGRESS, Math.floor(progress))) : 0;
}
