// The job record hash as stored in Redis (JSON-encoded values) and its parsing.
import type { JobRecord, JobRequest, JobStage, JobStatus } from '../job.js';

export const RECORD_FIELDS = [
  'id',
  'seq',
  'status',
  'stage',
  'progress',
  'prompt',
  'request',
  'created_at',
  'started_at',
  'finished_at',
  'gcs_uri',
  'artifact_uri',
  'artifact_key',
  'error',
  'estimated_cost_usd',
  'attempts',
  'owner_key_id',
] as const;

/** The record from HMGET of RECORD_FIELDS (queue_position left null), or null when it does not exist. */
export function parseRecord(values: (string | null)[]): JobRecord | null {
  if (values[0] === null || values[0] === undefined) return null;
  const parsed = Object.fromEntries(
    RECORD_FIELDS.map((f, i) => [f, values[i] === null || values[i] === undefined ? null : JSON.parse(values[i]!)]),
  ) as Record<string, unknown>;
  return {
    id: parsed.id as string,
    status: parsed.status as JobStatus,
    stage: parsed.stage as JobStage,
    progress: Number(parsed.progress ?? 0),
    prompt: parsed.prompt as string,
    request: JSON.parse(parsed.request as string) as JobRequest,
    created_at: parsed.created_at as string,
    started_at: (parsed.started_at as string | null) ?? null,
    finished_at: (parsed.finished_at as string | null) ?? null,
    gcs_uri: (parsed.gcs_uri as string | null) ?? null,
    artifact_uri: (parsed.artifact_uri as string | null) ?? null,
    artifact_key: (parsed.artifact_key as string | null) ?? null,
    error: (parsed.error as string | null) ?? null,
    estimated_cost_usd: (parsed.estimated_cost_usd as number | null) ?? null,
    attempts: Number(parsed.attempts ?? 0),
    owner_key_id: (parsed.owner_key_id as string | null) ?? null,
    queue_position: null,
  };
}
