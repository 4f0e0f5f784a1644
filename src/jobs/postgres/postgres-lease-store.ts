// Leases on the PostgreSQL job store (the LeaseStore port, as sqlite-lease-store.ts is on SQLite):
// the lease lives on the job row (lease_token, lease_expires_at in the database's clock) and every
// write is conditional on the token, in one transaction with its journal event (postgres-transaction.ts).
// A claim locks its job with FOR UPDATE SKIP LOCKED, so concurrent workers of any process take
// different jobs without waiting on each other. Idle workers wait for a NOTIFY of new work (the
// process's LISTEN connection), at most `ms`; jobs whose lease expired are recovered on heartbeats.
import { randomUUID } from 'node:crypto';
import type { JobOutcome } from '../job-queue.js';
import { MAX_PROGRESS } from '../job.js';
import type { Lease, LeaseState, LeaseStore, ProgressWrite } from '../lease-store.js';
import { LEASED_STATUSES } from '../job-state.js';
import { JOB_MESSAGES } from '../job-messages.js';
import type { SegmentRecord } from '../segment-records.js';
import { POSTGRES_WORKER_TIMEOUT_MS, type PostgresStore } from './postgres-store.js';
import type { JobTransaction } from './postgres-transaction.js';
import {
  ADD_SPEND_SQL,
  CLAIM_CANDIDATES_SQL,
  CLAIM_LOCK_SQL,
  FROM,
  LEASED,
  OWNER_ACTIVE_SQL,
  ROW_COLUMNS,
  TURN_SQL,
  pgText,
  toRecord,
  withoutUploadedBytes,
  type JobRow,
} from './postgres-statements.js';

/** Expired leases recovered per heartbeat, at most (the rest on the next ones). */
const RECOVER_BATCH = 100;
/** Claims tried in a row when the chosen owner turned out to be at its limit. */
const CLAIM_TRIES = 3;

export interface PostgresLeaseSettings {
  heartbeatMs: number;
}

/** The journal's status entry of a row, as every adapter writes it. */
export function statusData(row: JobRow): Record<string, unknown> {
  return {
    status: row.status,
    stage: row.stage,
    progress: row.progress,
    error: row.error,
    artifact_uri: row.artifact_uri,
  };
}

type Ending =
  | { status: 'finished'; outcome: JobOutcome }
  | { status: 'failed'; error: string }
  | { status: 'queued'; refund: boolean };

export class PostgresLeaseStore implements LeaseStore {
  private readonly timeout = POSTGRES_WORKER_TIMEOUT_MS;

  constructor(
    private readonly store: PostgresStore,
    private readonly settings: PostgresLeaseSettings,
  ) {
    store.listener.start();
  }

  async claim(workerId: string, leaseMs: number, signal: AbortSignal): Promise<Lease | null> {
    const skipped: string[] = [];
    for (let i = 0; i < CLAIM_TRIES && !signal.aborted && !this.store.isClosed; i += 1) {
      const token = randomUUID();
      const result = await this.store.write(async (tx) => {
        const ranked = (await tx.run<{ seq: string; max: number | null }>(CLAIM_CANDIDATES_SQL, [skipped])).rows;
        if (ranked.length === 0) return null;
        const locked = (
          await tx.run<{ seq: string; owner_key_id: string | null }>(CLAIM_LOCK_SQL, [ranked.map((r) => r.seq)])
        ).rows[0];
        // Every candidate is held by a concurrent claim (or was taken meanwhile): none for this worker now.
        if (!locked) return null;
        const candidate = { ...locked, max: ranked.find((r) => r.seq === locked.seq)!.max };
        const owner = candidate.owner_key_id;
        // Only a key with a limit makes its claims take turns (a key given one since this statement
        // read it waits for the next claim: its limit holds from then on).
        if (owner !== null && candidate.max !== null) {
          // The per-key limit, exactly: claims of one owner take turns here, and each counts the
          // jobs the ones before it committed (READ COMMITTED: a new snapshot per statement).
          await tx.run('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`ttv-claim-owner:${owner}`]);
          const limit = (await tx.run<{ active: number; max: number | null }>(OWNER_ACTIVE_SQL, [owner])).rows[0];
          if (limit && limit.max !== null && limit.active >= limit.max) return { skip: owner, row: null };
        }
        const row = (
          await tx.run<JobRow>(
            `UPDATE jobs SET status = 'started', stage = 'planning', attempts = attempts + 1,
               started_at = COALESCE(started_at, $2), lease_owner = $3, lease_token = $4,
               lease_expires_at = clock_timestamp() + $5 * interval '1 millisecond'
             WHERE seq = $1 RETURNING ${ROW_COLUMNS}`,
            [candidate.seq, new Date(), workerId, token, leaseMs],
          )
        ).rows[0]!;
        tx.touch(Number(row.seq));
        tx.event('status', statusData(row));
        tx.notify(this.store.channels.journal, row.id);
        tx.thenUnderHead(async () => {
          await tx.run(TURN_SQL, [owner ?? '']);
        });
        return { skip: null, row };
      }, this.timeout);
      if (result === null) return null;
      if (result.row) return { job: toRecord(result.row, null), token };
      skipped.push(result.skip);
    }
    return null;
  }

  /** Waits `ms`, or less: a NOTIFY of new work, a reconnected listener or the signal ends the wait. */
  idle(ms: number, signal: AbortSignal): Promise<void> {
    const listener = this.store.listener;
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        listener.off('work', done);
        listener.off('reconnected', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      listener.on('work', done);
      listener.on('reconnected', done);
      signal.addEventListener('abort', done, { once: true });
      if (signal.aborted) done();
    });
  }

  async renew(lease: Lease, leaseMs: number): Promise<LeaseState> {
    const rows = await this.store.query(
      `UPDATE jobs SET lease_expires_at = clock_timestamp() + $3 * interval '1 millisecond'
       WHERE id = $1 AND lease_token = $2 AND status IN (${LEASED}) RETURNING seq`,
      [lease.job.id, lease.token, leaseMs],
      this.timeout,
    );
    return rows.length > 0 ? 'ok' : this.state(lease);
  }

  async state(lease: Lease): Promise<LeaseState> {
    const [row] = await this.store.query<{ status: JobRow['status']; lease_token: string | null }>(
      'SELECT status, lease_token FROM jobs WHERE id = $1',
      [lease.job.id],
      this.timeout,
    );
    if (row?.status === 'canceled') return 'canceled';
    if (row && row.lease_token === lease.token && LEASED_STATUSES.includes(row.status)) return 'ok';
    return 'lost';
  }

  async progress(lease: Lease, write: ProgressWrite): Promise<boolean> {
    return this.store.write(async (tx) => {
      const before = (
        await tx.run<{ seq: string; status: JobRow['status']; progress: number; stage: JobRow['stage'] }>(
          `SELECT seq, status, progress, stage FROM jobs
           WHERE id = $1 AND lease_token = $2 AND status IN (${FROM.progress}) FOR UPDATE`,
          [lease.job.id, lease.token],
        )
      ).rows[0];
      if (!before) return false;
      const after = { progress: Math.max(before.progress, write.progress), stage: write.stage ?? before.stage };
      await tx.run(`UPDATE jobs SET status = 'progress', progress = $2, stage = $3 WHERE seq = $1`, [
        before.seq,
        after.progress,
        after.stage,
      ]);
      tx.touch(Number(before.seq));
      if (before.status !== 'progress')
        tx.event('status', { status: 'progress', ...after, error: null, artifact_uri: null });
      if (after.progress !== before.progress || after.stage !== before.stage) tx.event('progress', after);
      if (write.message) tx.log(write.message);
      tx.notify(this.store.channels.journal, lease.job.id);
      return true;
    }, this.timeout);
  }

  async cost(lease: Lease, usd: number | null): Promise<boolean> {
    return this.store.write(async (tx) => {
      const before = (
        await tx.run<{ seq: string; estimated_cost_usd: number | null; owner_key_id: string | null; created_at: Date }>(
          `SELECT seq, estimated_cost_usd, owner_key_id, created_at FROM jobs
           WHERE id = $1 AND lease_token = $2 AND status IN (${LEASED}) FOR UPDATE`,
          [lease.job.id, lease.token],
        )
      ).rows[0];
      if (!before) return false;
      await tx.run('UPDATE jobs SET estimated_cost_usd = $2 WHERE seq = $1', [before.seq, usd]);
      tx.touch(Number(before.seq));
      // The owner's month spend follows the job's estimate as the worker refines it (budget check at submit).
      const delta = (usd ?? 0) - (before.estimated_cost_usd ?? 0);
      const owner = before.owner_key_id;
      if (owner && delta !== 0)
        tx.thenUnderHead(async () => {
          await tx.run(ADD_SPEND_SQL, [owner, before.created_at.toISOString().slice(0, 7), delta]);
        });
      return true;
    }, this.timeout);
  }

  /** Writes the segment record while the lease holds: one statement, the job row locked for it. */
  async recordSegment(lease: Lease, record: SegmentRecord): Promise<boolean> {
    const rows = await this.store.query(
      `WITH holder AS (
         SELECT id FROM jobs WHERE id = $1 AND lease_token = $2 AND status IN (${LEASED}) FOR UPDATE
       )
       INSERT INTO job_segments (job_id, segment, data) SELECT id, $3, $4 FROM holder
       ON CONFLICT (job_id, segment) DO UPDATE SET data = EXCLUDED.data RETURNING segment`,
      [lease.job.id, lease.token, record.segment, JSON.stringify(record)],
      this.timeout,
    );
    return rows.length > 0;
  }

  async log(jobId: string, message: string): Promise<void> {
    await appendLog(this.store, jobId, message, this.timeout);
  }

  finish(lease: Lease, outcome: JobOutcome, message: string): Promise<boolean> {
    return this.end(lease, { status: 'finished', outcome }, message, false);
  }

  fail(lease: Lease, error: string, message: string): Promise<boolean> {
    return this.end(lease, { status: 'failed', error }, message, false);
  }

  handBack(lease: Lease, message: string, refundAttempt: boolean): Promise<boolean> {
    return this.end(lease, { status: 'queued', refund: refundAttempt }, message, false);
  }

  async release(): Promise<void> {
    // Nothing is kept per attempt: the job row is the whole lease.
  }

  onCancel(listener: (jobId: string) => void): () => void {
    this.store.listener.on('cancel', listener);
    return () => this.store.listener.off('cancel', listener);
  }

  /** Jobs whose worker stopped renewing: retried while attempts remain, else failed with a reason. */
  async recoverExpired(maxAttempts: number): Promise<void> {
    if (this.store.isClosed) return;
    const expired = await this.store.query<{ id: string; lease_token: string; attempts: number }>(
      `SELECT id, lease_token, attempts FROM jobs WHERE status IN (${LEASED}) AND lease_expires_at < clock_timestamp()
       ORDER BY lease_expires_at LIMIT ${RECOVER_BATCH}`,
      [],
      this.timeout,
    );
    for (const row of expired) {
      const lease = { job: { id: row.id } as Lease['job'], token: row.lease_token };
      if (row.attempts >= maxAttempts) {
        const reason = JOB_MESSAGES.interrupted(row.attempts, maxAttempts);
        await this.end(lease, { status: 'failed', error: reason }, JOB_MESSAGES.failed(reason), true);
      } else {
        await this.end(
          lease,
          { status: 'queued', refund: false },
          JOB_MESSAGES.workerLost(row.attempts, maxAttempts),
          true,
        );
      }
    }
  }

  async workerBeat(workerId: string, blockedReason: string | null): Promise<void> {
    await this.store.query(
      `WITH beat AS (
         INSERT INTO workers (id, heartbeat_at, blocked_reason) VALUES ($1, clock_timestamp(), $2)
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = EXCLUDED.heartbeat_at, blocked_reason = EXCLUDED.blocked_reason
       )
       DELETE FROM workers WHERE heartbeat_at < clock_timestamp() - $3 * interval '1 millisecond'`,
      [
        workerId,
        blockedReason === null ? null : pgText(blockedReason),
        10 * this.store.workerTtlMs(this.settings.heartbeatMs),
      ],
      this.timeout,
    );
  }

  async workerGone(workerId: string): Promise<void> {
    if (this.store.isClosed) return;
    await this.store.query('DELETE FROM workers WHERE id = $1', [workerId], this.timeout);
  }

  async close(): Promise<void> {
    // The pool and the LISTEN connection are the queue's (one per process); it closes them.
  }

  /**
   * One conditional status write that ends the attempt (finished, failed, or back to queued), with
   * its status event and log line. `expiredOnly`: recovery's, which must not take a lease renewed
   * since it was found expired.
   */
  private end(lease: Lease, ending: Ending, message: string, expiredOnly: boolean): Promise<boolean> {
    return this.store.write(async (tx) => {
      const from = FROM[ending.status];
      const held = (
        await tx.run<{ seq: string; request: JobRow['request'] }>(
          `SELECT seq, request FROM jobs WHERE id = $1 AND lease_token = $2 AND status IN (${from})
           ${expiredOnly ? 'AND lease_expires_at < clock_timestamp()' : ''} FOR UPDATE`,
          [lease.job.id, lease.token],
        )
      ).rows[0];
      if (!held) return false;
      const row = await this.endRow(tx, held, ending);
      tx.touch(Number(row.seq));
      tx.event('status', statusData(row));
      tx.log(message);
      tx.notify(this.store.channels.journal, row.id);
      if (ending.status === 'queued') tx.notify(this.store.channels.work);
      return true;
    }, this.timeout);
  }

  private async endRow(tx: JobTransaction, held: { seq: string; request: JobRow['request'] }, ending: Ending) {
    const clearLease = 'lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL';
    if (ending.status === 'queued') {
      return (
        await tx.run<JobRow>(
          `UPDATE jobs SET status = 'queued', stage = 'queued', attempts = attempts - $2, ${clearLease}
           WHERE seq = $1 RETURNING ${ROW_COLUMNS}`,
          [held.seq, ending.refund ? 1 : 0],
        )
      ).rows[0]!;
    }
    // The request without its uploaded bytes, in the same write that ends the job (a retry needs them until then).
    const request = JSON.stringify(withoutUploadedBytes(held.request));
    if (ending.status === 'finished') {
      const { outcome } = ending;
      return (
        await tx.run<JobRow>(
          `UPDATE jobs SET status = 'finished', progress = ${MAX_PROGRESS}, stage = 'done', finished_at = $2,
             artifact_uri = $3, artifact_key = $4, gcs_uri = $5, error = NULL, request = $6, ${clearLease}
           WHERE seq = $1 RETURNING ${ROW_COLUMNS}`,
          [held.seq, new Date(), outcome.artifactUri, outcome.artifactKey, outcome.gcsUri, request],
        )
      ).rows[0]!;
    }
    return (
      await tx.run<JobRow>(
        `UPDATE jobs SET status = 'failed', finished_at = $2, error = $3, request = $4, ${clearLease}
         WHERE seq = $1 RETURNING ${ROW_COLUMNS}`,
        [held.seq, new Date(), pgText(ending.error), request],
      )
    ).rows[0]!;
  }
}

/** Appends a log line (and its journal event) to a job; nothing when the job does not exist. */
export async function appendLog(store: PostgresStore, jobId: string, message: string, timeoutMs?: number) {
  await store.write(async (tx) => {
    // Locked first: a transaction's job row comes before the journal head (postgres-transaction.ts).
    const row = (await tx.run<{ seq: string }>('SELECT seq FROM jobs WHERE id = $1 FOR UPDATE', [jobId])).rows[0];
    if (!row) return;
    tx.touch(Number(row.seq));
    tx.log(message);
    tx.notify(store.channels.journal, jobId);
  }, timeoutMs);
}
