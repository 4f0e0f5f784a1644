// The JobStore/Queue port. The API uses the producer/read side; workers use `consume`, which runs the
// one attempt lifecycle (consumer-loop.ts) over the adapter's leases (lease-store.ts): SQLite lease
// columns + polling, or Redis records, ready and lease sets (Lua scripts) + a wake list + pub/sub.
// Every adapter must pass test/conformance/job-queue-conformance.ts unchanged.
import type { JobOutcome, JobRecord, JobRequest, JobStage, JobStatus } from './job.js';
import type { LeaseStore } from './lease-store.js';
import type { JobJournal } from './job-journal.js';
import type { SegmentRecord, SegmentRecordStore } from './segment-records.js';

export interface SubmitOptions {
  /** Client-chosen key: the same key with the same request returns the same job. */
  idempotencyKey?: string;
  estimatedCostUsd?: number | null;
  /** API key id that owns the job; idempotency keys are scoped to it. */
  owner?: string;
  /** Refuse (QueueFullError) when this many jobs are queued in the whole store. */
  maxQueued?: number | null;
  /** Refuse (QueueFullError) when the owner has this many jobs queued. */
  maxQueuedForOwner?: number | null;
  /**
   * The owner's monthly budget. Each owner's spend of a calendar month (UTC) is the sum of its jobs'
   * estimates (recorded at submission, adjusted as the worker refines a job's estimate); with a
   * budget, a job whose estimate would take the spend past `limitUsd` is refused (BudgetExceededError)
   * in the same atomic step as the insert. Deleting a job does not refund it.
   */
  budget?: { month: string; limitUsd: number } | null;
}

export type RemoveResult =
  { outcome: 'removed'; job: JobRecord } | { outcome: 'not_found' } | { outcome: 'not_terminal'; job: JobRecord };

export type SubmitResult =
  | { outcome: 'created'; job: JobRecord }
  | { outcome: 'replayed'; job: JobRecord }
  | { outcome: 'key_mismatch'; job: JobRecord };

export type CancelResult =
  { outcome: 'canceled'; job: JobRecord } | { outcome: 'not_found' } | { outcome: 'terminal'; job: JobRecord };

export interface ListOptions {
  status?: JobStatus;
  limit: number;
  /** Opaque cursor from a previous page's nextCursor. */
  cursor?: string;
  /** Only jobs of this owner (API key id). */
  owner?: string;
}

export interface ListResult {
  jobs: JobRecord[];
  nextCursor: string | null;
}

export interface QueueStats {
  queued: number;
  active: number;
  finished: number;
  failed: number;
  canceled: number;
  total: number;
  /** Mean seconds from started_at to finished_at over finished jobs, 0 when none. */
  averageProcessingSeconds: number;
}

/** The queue's own view: jobs waiting for a worker, held by one, or scheduled for later (retry backoff). */
export interface QueueDepth {
  waiting: number;
  active: number;
  delayed: number;
}

/** One entry of a job's event journal (what /v1/jobs/{id}/events streams). */
export interface JobEvent {
  /** Opaque, increasing within a job; a client resumes after it (Last-Event-ID). */
  id: string;
  type: 'status' | 'progress' | 'log';
  data: Record<string, unknown>;
}

/** Handed to the job handler for one attempt of one job. */
export interface JobContext {
  readonly job: JobRecord;
  readonly attempt: number;
  /** The consumer running it (hostname:pid:random), for logs. */
  readonly workerId: string;
  /** Aborted when the job is canceled or the consumer is shutting down hard. */
  readonly signal: AbortSignal;
  /** Monotonic: a lower value than stored is ignored; writes after cancel are dropped. */
  progress(progress: number, stage?: JobStage, message?: string): Promise<void>;
  log(message: string): Promise<void>;
  setEstimatedCost(usd: number | null): Promise<void>;
  /**
   * Writes a segment record (segment-records.ts) under this attempt's lease. Throws LeaseLostError
   * when the lease no longer holds (nothing written; the attempt is stopped), and the store's own
   * error when it cannot be reached (the caller decides whether to try again).
   */
  recordSegment(record: SegmentRecord): Promise<void>;
}

export type { JobOutcome } from './job.js';

export type JobHandler = (ctx: JobContext) => Promise<JobOutcome>;

export interface ConsumeOptions {
  concurrency: number;
  handler: JobHandler;
  workerId?: string;
  /** Called once the outcome of an attempt has been recorded (or found already decided). */
  onSettled?: (jobId: string) => void;
  /**
   * Checked before each claim: a reason not to take new jobs now (e.g. low disk; retried after a poll),
   * or null. While it gives a reason, jobs stay queued; running ones are not affected.
   */
  gate?: () => string | null;
  /**
   * Failures that are not the job's fault (e.g. the worker's disk filled up): for such an error, the
   * job-log line saying it goes back to the queue; null for any other error (the job fails). The job
   * is handed back with its attempt counted, so a job that keeps hitting it (its own output does not
   * fit) still ends at worker.max_attempts; on its last attempt it fails with the error. Meanwhile the
   * gate keeps this consumer from taking it again until the cause is gone.
   */
  handBackOn?: (err: unknown) => string | null;
  /** The handler produced an outcome, but the job was canceled before it could be recorded. */
  onCanceledOutcome?: (jobId: string, outcome: JobOutcome) => Promise<void>;
}

/** Something a consumer cannot do right now, for /readyz (e.g. an outcome the store refuses to take). */
export interface ConsumerProblem {
  /** Stable, machine-readable name of the cause. */
  reason: 'outcome_not_recorded';
  jobId: string;
  /** Human-readable, redacted. */
  message: string;
}

export interface Consumer {
  readonly workerId: string;
  /** Number of jobs this consumer is running now. */
  readonly running: number;
  /** Current problems (empty when healthy). */
  problems(): ConsumerProblem[];
  /**
   * Stop taking jobs; wait up to graceMs for running ones, then abort them and hand them back to the
   * queue (they are retried, not lost).
   */
  close(graceMs?: number): Promise<void>;
}

/** One live worker's claim state, as its last heartbeat reported it. */
export interface WorkerClaimState {
  workerId: string;
  /** False while its gate (e.g. low disk) keeps it from taking new jobs. */
  canClaim: boolean;
  /** Why it takes no new job (the worker's own text), null when it can claim. */
  reason: string | null;
}

/** Something wrong with the store's own data that does not stop the service (listed by /readyz). */
export interface StoreWarning {
  /** Stable machine-readable name. */
  reason: 'job_store_data_lost';
  message: string;
  /** ISO time it was noticed. */
  since: string;
}

/**
 * Also the store-wide journal (job-journal.ts): webhooks and the job counters in /metrics follow it;
 * and the segments' vendor tasks and finished clips across attempts (segment-records.ts).
 */
export interface JobQueue extends JobJournal, SegmentRecordStore {
  readonly kind: 'sqlite' | 'redis' | 'postgres';
  submit(request: JobRequest, options?: SubmitOptions): Promise<SubmitResult>;
  get(id: string): Promise<JobRecord | null>;
  list(options: ListOptions): Promise<ListResult>;
  /** Newest `tail` lines, oldest first; tail 0 = all kept lines. Null when the job does not exist. */
  logs(id: string, tail: number): Promise<string[] | null>;
  appendLog(id: string, message: string): Promise<void>;
  /**
   * Journal entries after `after` (null = from the start), oldest first, at most `limit`.
   * Null when the job does not exist; InvalidCursorError for an id this adapter did not issue.
   */
  events(id: string, after: string | null, limit?: number): Promise<JobEvent[] | null>;
  /**
   * Calls `listener` when the job may have new events, including writes by other processes (SQLite:
   * a data_version check per process; Redis: one pub/sub subscription per process). Callers may
   * still re-read now and then (SSE does at each heartbeat) in case a notification was missed.
   */
  watch(id: string, listener: () => void): () => void;
  /** Authoritative: a queued or running job is canceled in the store at once; the worker is signalled. */
  cancel(id: string): Promise<CancelResult>;
  /** Deletes a terminal job with its logs, events and segment records (its artifact is the caller's to remove). */
  remove(id: string): Promise<RemoveResult>;
  /**
   * Terminal jobs (finished, failed, canceled) whose finished_at is before `before`, oldest first,
   * at most `limit`: what the retention sweep removes.
   */
  expiredJobs(before: Date, limit: number): Promise<JobRecord[]>;
  stats(): Promise<QueueStats>;
  depth(): Promise<QueueDepth>;
  /** Workers that heartbeated recently, across processes. */
  liveWorkers(): Promise<number>;
  /** The same live workers, each with whether it takes new jobs now (its gate at its last heartbeat), by id. */
  workerStates(): Promise<WorkerClaimState[]>;
  /** Throws when the backing store is unreachable. */
  ping(): Promise<void>;
  /**
   * Resolves once the store is usable (PostgreSQL: its schema migrated; every call waits for that by
   * itself). Rejects with the reason a store refuses this ttv; adapters usable at construction omit it.
   */
  ready?(): Promise<void>;
  /** Warnings about the store's data (Redis: it lost what ttv stored); adapters without any omit it. */
  storeWarnings?(): Promise<StoreWarning[]>;
  /** Runs jobs: a consumer loop (consumer-loop.ts) over `openLeases()`. */
  consume(options: ConsumeOptions): Consumer;
  /** The lease side of the store, with the configured worker settings; the caller closes it. */
  openLeases(): LeaseStore;
  close(): Promise<void>;
}
