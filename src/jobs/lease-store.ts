// The adapter-neutral lease port. Each queue adapter implements it over its own storage (SQLite rows,
// Redis records with the ready and lease sets of its scripts); the consumer loop (consumer-loop.ts)
// drives the job lifecycle through it alone, so both adapters share one lifecycle. Every write is
// conditional on the lease token: a lease that is gone can never write the record again.
import type { JobOutcome, JobRecord, JobStage } from './job.js';
import type { SegmentRecord } from './segment-records.js';

/** Whether a lease is still its attempt's: `canceled` and `lost` both mean "stop, write nothing". */
export type LeaseState = 'ok' | 'canceled' | 'lost';

/** One attempt's hold on one job. The token is unique per claim and keys the running attempt. */
export interface Lease {
  readonly job: JobRecord;
  readonly token: string;
}

export interface ProgressWrite {
  /** Already clamped to 0..MAX_PROGRESS (clampProgress). */
  progress: number;
  stage?: JobStage;
  /** Log line text (unformatted), written with the progress in the same step. */
  message?: string;
}

/**
 * Writes answer true when done, false when the lease no longer holds (then `state` says why), and
 * throw when the store could not be reached (a transient failure: the consumer loop retries).
 */
export interface LeaseStore {
  /**
   * The next claimable job under a fresh lease, or null when none is ready. May wait a bounded
   * time for work. A job fetched after `signal` aborted is left untouched for another worker.
   */
  claim(workerId: string, leaseMs: number, signal: AbortSignal): Promise<Lease | null>;
  /**
   * Resolves when work may be ready: new work signalled, `ms` elapsed (an adapter that is told of new
   * work may look again later: Redis after 2 s), or `signal` aborted.
   */
  idle(ms: number, signal: AbortSignal): Promise<void>;
  renew(lease: Lease, leaseMs: number): Promise<LeaseState>;
  state(lease: Lease): Promise<LeaseState>;
  progress(lease: Lease, write: ProgressWrite): Promise<boolean>;
  cost(lease: Lease, usd: number | null): Promise<boolean>;
  /** Writes (replaces) the record of `record.segment` (segment-records.ts) while the lease holds. */
  recordSegment(lease: Lease, record: SegmentRecord): Promise<boolean>;
  log(jobId: string, message: string): Promise<void>;
  finish(lease: Lease, outcome: JobOutcome, message: string): Promise<boolean>;
  fail(lease: Lease, error: string, message: string): Promise<boolean>;
  /** Back to queued (shutdown); `refundAttempt` undoes the claim's attempt count. */
  handBack(lease: Lease, message: string, refundAttempt: boolean): Promise<boolean>;
  /** The attempt is over (after its outcome write, or without one): drop what the adapter keeps for it. */
  release(lease: Lease): Promise<void>;
  /** Calls `listener(jobId)` when a job may have been canceled (in any process); returns an unsubscribe. */
  onCancel(listener: (jobId: string) => void): () => void;
  /** Periodic housekeeping on each heartbeat: recover jobs whose lease expired (where the adapter does it). */
  recoverExpired(maxAttempts: number): Promise<void>;
  /** The worker is alive; `blockedReason` says why it takes no new job now (its gate), null when it takes them. */
  workerBeat(workerId: string, blockedReason: string | null): Promise<void>;
  workerGone(workerId: string): Promise<void>;
  /** Releases the lease store's own resources (connections, delivery). */
  close(): Promise<void>;
}
