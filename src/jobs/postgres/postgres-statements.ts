// The SQL of the PostgreSQL job store that is more than one line, and its rows. The guards of the
// conditional status writes come from the state machine (job-state.ts), as on SQLite.
import type { JobRecord, JobRequest, JobStatus } from '../job.js';
import { CLAIMABLE, LEASED } from '../sql-status-lists.js';

/** A row of `jobs` as node-postgres reads it (request parsed from JSON, times as Date, seq as text). */
export interface JobRow {
  seq: string;
  id: string;
  status: JobStatus;
  stage: JobRecord['stage'];
  progress: number;
  prompt: string;
  request: JobRequest;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  gcs_uri: string | null;
  artifact_uri: string | null;
  artifact_key: string | null;
  error: string | null;
  estimated_cost_usd: number | null;
  attempts: number;
  owner_key_id: string | null;
  lease_token: string | null;
  request_hash: string | null;
}

/** The columns a record is made of, plus the lease token and request hash some writes compare. */
export const ROW_COLUMNS = `seq, id, status, stage, progress, prompt, request, created_at, started_at, finished_at,
  gcs_uri, artifact_uri, artifact_key, error, estimated_cost_usd, attempts, owner_key_id, lease_token, request_hash`;

export { FROM, LEASED, TERMINAL } from '../sql-status-lists.js';

/** Queued jobs of each owner considered per claim: more than one, so concurrent claimers of one owner do not all skip its one locked head. */
export const CLAIM_WINDOW = 8;

/**
 * The jobs to claim next, best first ($1: owners to leave out this time); CLAIM_LOCK_SQL takes the
 * first of them no other claim holds. The fair order of the SQLite
 * claim (sqlite-statements.ts): owners at their key's max_concurrent_jobs wait; the owner served
 * longest ago goes first; FIFO within an owner. The owners with queued jobs are found by skipping
 * through the (status, owner_key_id, seq) index one owner at a time (a recursive CTE), and each
 * owner's first few queued jobs are one index range. Candidates are ranked by their place in their
 * owner's line first, so every owner's first job comes before any owner's second: a claimer that
 * finds a head locked by a concurrent claim (SKIP LOCKED) takes the next owner's head, and only with
 * every head taken an owner's second job. The per-key limit is checked here on this statement's
 * snapshot and again, exactly, under the owner's lock before the claim commits (postgres-lease-store.ts);
 * `max` is the key's limit (NULL: none, and no owner lock).
 *
 * Two statements, so that the plan does not depend on the table's statistics, which lag behind a
 * queue that fills fast (seen: 10,000 jobs queued within a minute of an ANALYZE; the planner took
 * them for 11 and joined the candidates to every queued row, ~7 ms per claim instead of ~0.3): the
 * ORDER BY of an owner's line names the index's columns, so the index gives the order and the LIMIT
 * stops the scan; and the lock is taken on the few candidate seqs given as a list (primary-key
 * lookups, whatever the statistics say), where FOR UPDATE locks only the row the LIMIT takes.
 */
export const CLAIM_CANDIDATES_SQL = `WITH RECURSIVE owners(owner) AS (
    SELECT (SELECT MIN(owner_key_id) FROM jobs WHERE status = ${CLAIMABLE})
    UNION ALL
    SELECT (SELECT MIN(owner_key_id) FROM jobs WHERE status = ${CLAIMABLE} AND owner_key_id > owners.owner)
    FROM owners WHERE owners.owner IS NOT NULL
  ), keyed AS (
    SELECT c.seq, c.place, COALESCE(t.last_claim, 0) AS turn, k.max_concurrent_jobs AS max
    FROM owners o
    LEFT JOIN api_keys k ON k.id = o.owner
    LEFT JOIN owner_turns t ON t.owner = o.owner
    CROSS JOIN LATERAL (
      SELECT x.seq, row_number() OVER (ORDER BY x.seq) AS place FROM (
        SELECT seq FROM jobs WHERE status = ${CLAIMABLE} AND owner_key_id = o.owner ORDER BY seq LIMIT ${CLAIM_WINDOW}
      ) x
    ) c
    WHERE o.owner IS NOT NULL AND NOT (o.owner = ANY($1::text[])) AND (k.max_concurrent_jobs IS NULL
      OR (SELECT COUNT(*) FROM jobs a WHERE a.status IN (${LEASED}) AND a.owner_key_id = o.owner) < k.max_concurrent_jobs)
  ), anonymous AS (
    SELECT x.seq, row_number() OVER (ORDER BY x.seq) AS place,
      COALESCE((SELECT last_claim FROM owner_turns WHERE owner = ''), 0) AS turn, NULL::int AS max
    FROM (
      SELECT seq FROM jobs WHERE status = ${CLAIMABLE} AND owner_key_id IS NULL
      ORDER BY owner_key_id, seq LIMIT ${CLAIM_WINDOW}
    ) x
  )
  SELECT seq, max FROM (
    SELECT seq, place, turn, max FROM keyed UNION ALL SELECT seq, place, turn, max FROM anonymous
  ) c
  ORDER BY place, turn, seq`;

/** The first of the candidates ($1, best first) still claimable and not locked by another claim, locked. */
export const CLAIM_LOCK_SQL = `SELECT seq, owner_key_id FROM jobs
  WHERE seq = ANY($1::bigint[]) AND status = ${CLAIMABLE}
  ORDER BY array_position($1::bigint[], seq)
  LIMIT 1
  FOR UPDATE SKIP LOCKED`;

/** The owner's jobs held by workers now, and its key's limit (NULL: none); run under the owner's lock. */
export const OWNER_ACTIVE_SQL = `SELECT (SELECT COUNT(*)::int FROM jobs WHERE status IN (${LEASED}) AND owner_key_id = $1) AS active,
  (SELECT max_concurrent_jobs FROM api_keys WHERE id = $1) AS max`;

export const TURN_SQL = `INSERT INTO owner_turns (owner, last_claim)
  VALUES ($1, (SELECT COALESCE(MAX(last_claim), 0) + 1 FROM owner_turns))
  ON CONFLICT (owner) DO UPDATE SET last_claim = EXCLUDED.last_claim`;

export const ADD_SPEND_SQL = `INSERT INTO key_spend (owner_key_id, month, usd) VALUES ($1, $2, $3)
  ON CONFLICT (owner_key_id, month) DO UPDATE SET usd = key_spend.usd + EXCLUDED.usd`;

/** Queued jobs up to and including seq $1: a queued job's position. */
export const POSITION_SQL = `SELECT COUNT(*)::int AS n FROM jobs WHERE status = 'queued' AND seq <= $1`;

/** The stored request without the first-frame image's and an uploaded video's bytes (dropped when a job ends). */
export function withoutUploadedBytes(request: JobRequest): JobRequest {
  const image = request.options?.image;
  const upload = request.source?.upload;
  if (image?.data_base64 === undefined && upload?.data_base64 === undefined) return request;
  const copy = structuredClone(request);
  if (copy.options?.image) delete copy.options.image.data_base64;
  if (copy.source?.upload) delete copy.source.upload.data_base64;
  return copy;
}

/** PostgreSQL text cannot hold NUL: what a message could carry is replaced, never refused. */
export function pgText(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text;
}

const iso = (d: Date | null) => (d === null ? null : d.toISOString());

export function toRecord(row: JobRow, queuePosition: number | null): JobRecord {
  return {
    id: row.id,
    status: row.status,
    stage: row.stage,
    progress: row.progress,
    prompt: row.prompt,
    request: row.request,
    created_at: row.created_at.toISOString(),
    started_at: iso(row.started_at),
    finished_at: iso(row.finished_at),
    gcs_uri: row.gcs_uri,
    artifact_uri: row.artifact_uri,
    artifact_key: row.artifact_key,
    error: row.error,
    estimated_cost_usd: row.estimated_cost_usd,
    attempts: row.attempts,
    owner_key_id: row.owner_key_id ?? null,
    queue_position: row.status === 'queued' ? queuePosition : null,
  };
}
