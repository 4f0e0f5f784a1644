// Leases on the embedded store (the LeaseStore port of lease-store.ts, as redis-lease-store.ts is on
// Redis). Claims are polled and woken by in-process submissions; every write is one conditional
// UPDATE on the job row (its lease_token), so SQLite decides who may write, across processes.
import type { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { Database as Db } from 'better-sqlite3';
import type { JobEvent, JobOutcome } from '../job-queue.js';
import type { JobRecord, JobStage, JobStatus } from '../job.js';
import type { Lease, LeaseState, LeaseStore, ProgressWrite } from '../lease-store.js';
import { LEASED_STATUSES } from '../job-state.js';
import { JOB_MESSAGES } from '../job-messages.js';
import type { SegmentRecord } from '../segment-records.js';
import type { JobRow, RecordRow, SqliteStatements } from './sqlite-statements.js';

/** What the lease store uses of the SQLite job store that owns the connection. */
export interface SqliteStoreAccess {
  readonly db: Db;
  readonly statements: SqliteStatements;
  /** 'enqueued' wakes idle consumers; 'cancel' (jobId) aborts a running job. */
  readonly signals: EventEmitter;
  isClosed(): boolean;
  /** Runs fn, mapping "cannot reach the database" failures to StoreUnavailableError. */
  guard<T>(fn: () => T): T;
  toRecord(row: RecordRow): JobRecord;
  appendLog(id: string, message: string): Promise<void>;
  appendLogSync(id: string, message: string): void;
  appendEventSync(id: string, type: JobEvent['type'], data: Record<string, unknown>): void;
  statusEvent(row: JobRow): void;
  notify(id: string): void;
  addSpend(owner: string, month: string, usd: number): void;
  workerTtlMs(): number;
}

export class SqliteLeaseStore implements LeaseStore {
  constructor(private readonly store: SqliteStoreAccess) {}

  async claim(workerId: string, leaseMs: number, signal: AbortSignal): Promise<Lease | null> {
    return signal.aborted || this.store.isClosed() ? null : this.claimNext(workerId, leaseMs);
  }

  /** Waits `ms`, or less: an in-process submission or the signal ends the wait. */
  idle(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.store.signals.off('enqueued', done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.store.signals.on('enqueued', done);
      signal.addEventListener('abort', done, { once: true });
    });
  }

  async renew(lease: Lease, leaseMs: number): Promise<LeaseState> {
    return this.renewLease(lease, leaseMs);
  }

  async state(lease: Lease): Promise<LeaseState> {
    return this.store.guard(() => this.leaseState(lease));
  }

  async progress(lease: Lease, write: ProgressWrite): Promise<boolean> {
    return this.writeProgress(lease, write);
  }

  async cost(lease: Lease, usd: number | null): Promise<boolean> {
    return this.writeCost(lease, usd);
  }

  async recordSegment(lease: Lease, record: SegmentRecord): Promise<boolean> {
    return this.writeSegment(lease, record);
  }

  log(jobId: string, message: string): Promise<void> {
    return this.store.appendLog(jobId, message);
  }

  async finish(lease: Lease, outcome: JobOutcome, message: string): Promise<boolean> {
    return this.finishJob(lease, outcome, message);
  }

  async fail(lease: Lease, error: string, message: string): Promise<boolean> {
    return this.failJob(lease, error, message);
  }

  async handBack(lease: Lease, message: string, refundAttempt: boolean): Promise<boolean> {
    return this.requeue(lease, message, refundAttempt);
  }

  async release(): Promise<void> {}

  onCancel(listener: (jobId: string) => void): () => void {
    this.store.signals.on('cancel', listener);
    return () => this.store.signals.off('cancel', listener);
  }

  async recoverExpired(maxAttempts: number): Promise<void> {
    if (!this.store.isClosed()) this.recoverExpiredJobs(maxAttempts);
  }

  async workerBeat(workerId: string, blockedReason: string | null): Promise<void> {
    this.workerHeartbeat(workerId, blockedReason);
  }

  async workerGone(workerId: string): Promise<void> {
    this.forgetWorker(workerId);
  }

  async close(): Promise<void> {}

  /** Writes a segment record for the lease holder only (as every lease write): false when the lease is gone. */
  private writeSegment(lease: Lease, record: SegmentRecord): boolean {
    return this.store.guard(() =>
      this.store.db
        .transaction(() => {
          if (this.leaseState(lease) !== 'ok') return false;
          this.store.db
            .prepare(
              'INSERT INTO job_segments (job_id, segment, data) VALUES (?, ?, ?) ON CONFLICT (job_id, segment) DO UPDATE SET data = excluded.data',
            )
            .run(lease.job.id, record.segment, JSON.stringify(record));
          return true;
        })
        .immediate(),
    );
  }

  private claimNext(owner: string, leaseMs: number): Lease | null {
    return this.store.guard(() => {
      const token = randomUUID();
      const now = Date.now();
      const row = this.store.db
        .transaction(() => {
          const claimed = this.store.statements.claim.get({
            now: new Date(now).toISOString(),
            owner,
            token,
            expires: now + leaseMs,
          }) as JobRow | undefined;
          if (claimed) this.store.statements.turn.run({ owner: claimed.owner_key_id ?? '' });
          return claimed;
        })
        .immediate();
      if (!row) return null;
      this.store.statusEvent(row);
      this.store.notify(row.id);
      return { job: this.store.toRecord(row), token };
    });
  }

  /** Renews the lease; otherwise tells why it could not. */
  private renewLease(lease: Lease, leaseMs: number): LeaseState {
    return this.store.guard(() => {
      const changes = this.store.statements.renew.run({
        id: lease.job.id,
        token: lease.token,
        expires: Date.now() + leaseMs,
      }).changes;
      return changes > 0 ? 'ok' : this.leaseState(lease);
    });
  }

  private leaseState(lease: Lease): LeaseState {
    const row = this.store.statements.leaseState.get(lease.job.id) as
      { status: JobStatus; lease_token: string | null } | undefined;
    if (row?.status === 'canceled') return 'canceled';
    if (row && row.lease_token === lease.token && LEASED_STATUSES.includes(row.status)) return 'ok';
    return 'lost';
  }

  private writeProgress(lease: Lease, write: ProgressWrite): boolean {
    return this.store.guard(() => {
      const run = this.store.db.transaction(() => {
        const p = write.progress;
        const stage = write.stage;
        const before = this.store.statements.progressState.get(lease.job.id) as
          { status: JobStatus; progress: number; stage: JobStage } | undefined;
        const changed =
          this.store.statements.progress.run({
            id: lease.job.id,
            token: lease.token,
            progress: p,
            stage: stage ?? null,
          }).changes > 0;
        if (!changed || !before) return false;
        const after = { progress: Math.max(before.progress, p), stage: stage ?? before.stage };
        if (before.status !== 'progress')
          this.store.appendEventSync(lease.job.id, 'status', {
            status: 'progress',
            ...after,
            error: null,
            artifact_uri: null,
          });
        if (after.progress !== before.progress || after.stage !== before.stage)
          this.store.appendEventSync(lease.job.id, 'progress', after);
        if (write.message) this.store.appendLogSync(lease.job.id, write.message);
        return true;
      });
      const result = run.immediate();
      if (result) this.store.notify(lease.job.id);
      return result;
    });
  }

  private writeCost(lease: Lease, usd: number | null): boolean {
    return this.store.guard(() =>
      this.store.db
        .transaction(() => {
          const before = this.store.statements.byId.get(lease.job.id) as JobRow | undefined;
          const changed =
            this.store.statements.cost.run({ id: lease.job.id, token: lease.token, cost: usd }).changes > 0;
          // The owner's month spend follows the job's estimate as the worker refines it (budget check at submit).
          if (changed && before?.owner_key_id) {
            const delta = (usd ?? 0) - (before.estimated_cost_usd ?? 0);
            if (delta !== 0) this.store.addSpend(before.owner_key_id, before.created_at.slice(0, 7), delta);
          }
          return changed;
        })
        .immediate(),
    );
  }

  /** One conditional status write with its status event and log line, in one transaction. */
  private transition(lease: Lease, write: () => boolean, message: string): boolean {
    return this.store.guard(() => {
      const changed = this.store.db
        .transaction(() => {
          if (!write()) return false;
          this.store.statusEvent(this.store.statements.byId.get(lease.job.id) as JobRow);
          this.store.appendLogSync(lease.job.id, message);
          return true;
        })
        .immediate();
      if (changed) this.store.notify(lease.job.id);
      return changed;
    });
  }

  /** Records success once; false when the job was canceled or the lease lost meanwhile. */
  private finishJob(lease: Lease, outcome: JobOutcome, message: string): boolean {
    return this.transition(
      lease,
      () =>
        this.store.statements.finish.run({
          id: lease.job.id,
          token: lease.token,
          now: new Date().toISOString(),
          artifact_uri: outcome.artifactUri,
          artifact_key: outcome.artifactKey,
          gcs_uri: outcome.gcsUri,
        }).changes > 0,
      message,
    );
  }

  private failJob(lease: Lease, error: string, message: string): boolean {
    return this.transition(
      lease,
      () =>
        this.store.statements.fail.run({ id: lease.job.id, token: lease.token, now: new Date().toISOString(), error })
          .changes > 0,
      message,
    );
  }

  /** Hands a job back to the queue; the attempt is refunded when asked. */
  private requeue(lease: Lease, message: string, refundAttempt: boolean): boolean {
    const changed = this.transition(
      lease,
      () =>
        this.store.statements.requeue.run({ id: lease.job.id, token: lease.token, refund: refundAttempt ? 1 : 0 })
          .changes > 0,
      message,
    );
    if (changed) this.store.signals.emit('enqueued');
    return changed;
  }

  /** Jobs whose worker stopped renewing: retried while attempts remain, else failed with a reason. */
  private recoverExpiredJobs(maxAttempts: number): void {
    this.store.guard(() => {
      for (const row of this.store.statements.expired.all(Date.now()) as JobRow[]) {
        const lease: Lease = { job: this.store.toRecord(row), token: row.lease_token ?? '' };
        if (row.attempts >= maxAttempts) {
          const reason = JOB_MESSAGES.interrupted(row.attempts, maxAttempts);
          this.failJob(lease, reason, JOB_MESSAGES.failed(reason));
        } else {
          this.requeue(lease, JOB_MESSAGES.workerLost(row.attempts, maxAttempts), false);
        }
      }
    });
  }

  private workerHeartbeat(workerId: string, blockedReason: string | null): void {
    this.store.guard(() => {
      const now = Date.now();
      this.store.statements.workerBeat.run(workerId, now, blockedReason);
      this.store.statements.workersPrune.run(now - 10 * this.store.workerTtlMs());
    });
  }

  private forgetWorker(workerId: string): void {
    if (this.store.isClosed()) return;
    this.store.guard(() => this.store.statements.workerGone.run(workerId));
  }
}
