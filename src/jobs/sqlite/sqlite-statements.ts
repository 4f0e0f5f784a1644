// The SQL of the embedded job store, prepared once per connection, typed by parameters and row. The
// guards of the conditional status writes come from the state machine (job-state.ts).
import type { Database as Db, Statement } from 'better-sqlite3';
import { MAX_PROGRESS, type JobRecord, type JobStage, type JobStatus } from '../job.js';
import type { JobEvent } from '../job-queue.js';
import { CLAIMABLE, FROM, LEASED, TERMINAL } from '../sql-status-lists.js';

/** A row of `jobs`: the record's columns (request as JSON text) plus sequence, lease and journal counters. */
export interface JobRow extends Omit<JobRecord, 'request' | 'queue_position'> {
  seq: number;
  request: string;
  lease_owner: string | null;
  lease_token: string | null;
  lease_expires_at: number | null;
  idempotency_key: string | null;
  request_hash: string | null;
  log_seq: number;
  event_seq: number;
}

/** The columns a JobRecord is made of (toRecord), without the lease and bookkeeping ones. */
export const RECORD_COLUMNS = [
  'seq',
  'id',
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
export type RecordRow = Pick<JobRow, (typeof RECORD_COLUMNS)[number]>;

/**
 * A page of jobs newest first, optionally of one status and/or owner and below a cursor: each shape
 * prepared once (not per request), and only the record's columns read. Every shape walks an index in
 * seq order (the rowid, jobs_status_seq, jobs_owner_seq or jobs_status_owner_seq) and stops after
 * `limit` rows, so a page costs the same at any depth and store size (no OFFSET).
 */
export function listStatements(db: Db) {
  const cache = new Map<string, Statement<unknown[], RecordRow>>();
  return (filter: { status: boolean; owner: boolean; before: boolean }): Statement<unknown[], RecordRow> => {
    const key = `${+filter.status}${+filter.owner}${+filter.before}`;
    let statement = cache.get(key);
    if (!statement) {
      const clauses = [
        filter.status && 'status = ?',
        filter.owner && 'owner_key_id = ?',
        filter.before && 'seq < ?',
      ].filter(Boolean);
      const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
      statement = db.prepare<unknown[], RecordRow>(
        `SELECT ${RECORD_COLUMNS.join(', ')} FROM jobs ${where} ORDER BY seq DESC LIMIT ?`,
      );
      cache.set(key, statement);
    }
    return statement;
  };
}

/**
 * The stored request without its first-frame image bytes, and an uploaded source video's (type, size
 * and digest stay): set in the
 * same UPDATE that ends a job, since the image is needed only while the job can still run (a retry
 * after a crash reads it again) and the clip and artifact keep what matters.
 */
const DROP_IMAGE = `request = CASE WHEN instr(request, '"data_base64"') > 0 THEN json_remove(request, '$.options.image.data_base64', '$.source.upload.data_base64') ELSE request END`;

export function prepareStatements(db: Db) {
  return {
    insert: db.prepare<
      Record<string, unknown>
    >(`INSERT INTO jobs (id, status, stage, progress, prompt, request, created_at, estimated_cost_usd, idempotency_key, request_hash, owner_key_id)
      VALUES (@id, 'queued', 'queued', 0, @prompt, @request, @created_at, @estimated_cost_usd, @idempotency_key, @request_hash, @owner_key_id)`),
    byId: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
    byKey: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE idempotency_key = ?'),
    // The retention sweep: terminal jobs that ended before a cutoff, oldest first (ISO-8601 UTC strings
    // of one format compare as text in time order).
    pastRetention: db.prepare<
      [string, number],
      JobRow
    >(`SELECT * FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?
      AND status IN (${TERMINAL}) ORDER BY finished_at, seq LIMIT ?`),
    // Submission limits and budgets (SubmitOptions), on the submit path.
    // The store-wide count is the total the triggers keep (sqlite-job-stats.ts), exact inside the transaction.
    queuedCount: db.prepare<[], { n: number }>(`SELECT n FROM job_status_counts WHERE status = 'queued'`),
    ownerQueuedCount: db.prepare<[string], { n: number }>(
      `SELECT COUNT(*) AS n FROM jobs WHERE owner_key_id = ? AND status = 'queued'`,
    ),
    spendOf: db.prepare<[string, string], { usd: number }>(
      'SELECT usd FROM key_spend WHERE owner_key_id = ? AND month = ?',
    ),
    addSpend: db.prepare<[string, string, number]>(`INSERT INTO key_spend (owner_key_id, month, usd) VALUES (?, ?, ?)
      ON CONFLICT(owner_key_id, month) DO UPDATE SET usd = usd + excluded.usd`),
    position: db.prepare<[number], { n: number }>(
      `SELECT COUNT(*) AS n FROM jobs WHERE status = 'queued' AND seq <= ?`,
    ),
    appendLog: db.prepare<[string], { seq: number; log_seq: number }>(
      'UPDATE jobs SET log_seq = log_seq + 1 WHERE id = ? RETURNING seq, log_seq',
    ),
    insertLog: db.prepare<[number, number, string]>('INSERT INTO job_logs (job_seq, n, line) VALUES (?, ?, ?)'),
    trimLogs: db.prepare<[number, number]>('DELETE FROM job_logs WHERE job_seq = ? AND n <= ?'),
    tailLogs: db.prepare<[number, number], { line: string }>(
      'SELECT line FROM (SELECT n, line FROM job_logs WHERE job_seq = ? ORDER BY n DESC LIMIT ?) ORDER BY n ASC',
    ),
    cancel: db.prepare<
      { id: string; now: string },
      JobRow
    >(`UPDATE jobs SET status = 'canceled', finished_at = @now, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL,
        ${DROP_IMAGE}
      WHERE id = @id AND status IN (${FROM.canceled}) RETURNING *`),
    claim: db.prepare<
      { now: string; owner: string; token: string; expires: number },
      JobRow
    >(`UPDATE jobs SET status = 'started', stage = 'planning', attempts = attempts + 1,
        started_at = COALESCE(started_at, @now), lease_owner = @owner, lease_token = @token, lease_expires_at = @expires
      WHERE seq = (
        -- Fair claim order: the oldest queued job of each owner is a candidate; owners at their key's
        -- max_concurrent_jobs are skipped (their jobs wait); among the rest, the owner served longest
        -- ago goes first (round-robin), so one key's backlog never starves another key's first job.
        -- The owners with queued jobs are found by skipping through the (status, owner_key_id, seq)
        -- index one owner at a time, and each owner's head is one index seek: a claim costs per
        -- owner, not per queued job (a GROUP BY read every queued row, so a 100,000-job backlog made
        -- each claim ~20 ms of the event loop). Anonymous jobs (owner NULL) are the one extra head.
        WITH RECURSIVE owners(owner) AS (
          SELECT (SELECT MIN(owner_key_id) FROM jobs WHERE status = ${CLAIMABLE})
          UNION ALL
          SELECT (SELECT MIN(owner_key_id) FROM jobs WHERE status = ${CLAIMABLE} AND owner_key_id > owners.owner) FROM owners WHERE owners.owner IS NOT NULL
        ), heads(owner, seq) AS (
          SELECT owner, (SELECT MIN(seq) FROM jobs WHERE status = ${CLAIMABLE} AND owner_key_id = owners.owner) FROM owners WHERE owner IS NOT NULL
          UNION ALL
          SELECT NULL, (SELECT MIN(seq) FROM jobs WHERE status = ${CLAIMABLE} AND owner_key_id IS NULL)
        )
        SELECT h.seq FROM heads h
        LEFT JOIN api_keys k ON k.id = h.owner
        LEFT JOIN owner_turns t ON t.owner = COALESCE(h.owner, '')
        WHERE h.seq IS NOT NULL AND (k.max_concurrent_jobs IS NULL
           OR (SELECT COUNT(*) FROM jobs a WHERE a.owner_key_id = h.owner AND a.status IN (${LEASED})) < k.max_concurrent_jobs)
        ORDER BY COALESCE(t.last_claim, 0), h.seq LIMIT 1
      ) RETURNING *`),
    turn: db.prepare<{
      owner: string;
    }>(`INSERT INTO owner_turns (owner, last_claim) VALUES (@owner, (SELECT COALESCE(MAX(last_claim), 0) + 1 FROM owner_turns))
      ON CONFLICT(owner) DO UPDATE SET last_claim = excluded.last_claim`),
    renew: db.prepare<{ id: string; token: string; expires: number }>(
      `UPDATE jobs SET lease_expires_at = @expires WHERE id = @id AND lease_token = @token AND status IN (${LEASED})`,
    ),
    progress: db.prepare<{
      id: string;
      token: string;
      progress: number;
      stage: string | null;
    }>(`UPDATE jobs SET status = 'progress', progress = MAX(progress, @progress), stage = COALESCE(@stage, stage)
      WHERE id = @id AND lease_token = @token AND status IN (${FROM.progress})`),
    cost: db.prepare<{ id: string; token: string; cost: number | null }>(
      `UPDATE jobs SET estimated_cost_usd = @cost WHERE id = @id AND lease_token = @token AND status IN (${LEASED})`,
    ),
    finish: db.prepare<{
      id: string;
      token: string;
      now: string;
      artifact_uri: string;
      artifact_key: string;
      gcs_uri: string | null;
    }>(`UPDATE jobs SET status = 'finished', progress = ${MAX_PROGRESS}, stage = 'done', finished_at = @now,
        artifact_uri = @artifact_uri, artifact_key = @artifact_key, gcs_uri = @gcs_uri, error = NULL,
        lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, ${DROP_IMAGE}
      WHERE id = @id AND lease_token = @token AND status IN (${FROM.finished})`),
    fail: db.prepare<{
      id: string;
      token: string;
      now: string;
      error: string;
    }>(`UPDATE jobs SET status = 'failed', finished_at = @now, error = @error,
        lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, ${DROP_IMAGE}
      WHERE id = @id AND lease_token = @token AND status IN (${FROM.failed})`),
    requeue: db.prepare<{
      id: string;
      token: string;
      refund: number;
    }>(`UPDATE jobs SET status = 'queued', stage = 'queued', attempts = attempts - @refund,
        lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
      WHERE id = @id AND lease_token = @token AND status IN (${FROM.queued})`),
    expired: db.prepare<[number], JobRow>(`SELECT * FROM jobs WHERE status IN (${LEASED}) AND lease_expires_at < ?`),
    leaseState: db.prepare<[string], { status: JobStatus; lease_token: string | null }>(
      'SELECT status, lease_token FROM jobs WHERE id = ?',
    ),
    workerBeat: db.prepare<
      [string, number, string | null]
    >(`INSERT INTO workers (id, heartbeat_at, blocked_reason) VALUES (?, ?, ?)
      ON CONFLICT(id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, blocked_reason = excluded.blocked_reason`),
    workerGone: db.prepare<[string]>('DELETE FROM workers WHERE id = ?'),
    workersLive: db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM workers WHERE heartbeat_at >= ?'),
    workerStates: db.prepare<[number], { id: string; blocked_reason: string | null }>(
      'SELECT id, blocked_reason FROM workers WHERE heartbeat_at >= ? ORDER BY id',
    ),
    workersPrune: db.prepare<[number]>('DELETE FROM workers WHERE heartbeat_at < ?'),
    ping: db.prepare<[], { ok: number }>('SELECT 1 AS ok'),
    nextEvent: db.prepare<[string], { seq: number; event_seq: number }>(
      'UPDATE jobs SET event_seq = event_seq + 1 WHERE id = ? RETURNING seq, event_seq',
    ),
    // g: the store-wide journal number, at: epoch ms (sqlite-journal.ts).
    insertEvent: db.prepare<[number, number, string, string, number, number]>(
      'INSERT INTO job_events (job_seq, n, type, data, g, at) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    trimEvents: db.prepare<[number, number]>('DELETE FROM job_events WHERE job_seq = ? AND n <= ?'),
    eventsAfter: db.prepare<[number, number, number], { n: number; type: JobEvent['type']; data: string }>(
      'SELECT n, type, data FROM job_events WHERE job_seq = ? AND n > ? ORDER BY n LIMIT ?',
    ),
    progressState: db.prepare<
      [string],
      { status: JobStatus; progress: number; stage: JobStage; lease_token: string | null }
    >('SELECT status, progress, stage, lease_token FROM jobs WHERE id = ?'),
  };
}

export type SqliteStatements = ReturnType<typeof prepareStatements>;
