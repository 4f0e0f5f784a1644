// Shared JobStore/Queue adapter on PostgreSQL: job records, logs, the events journal, leases, key
// spend and worker heartbeats in one schema (stores/postgres-schema.ts, migrated at open). Every state
// change is one transaction with its journal event and its NOTIFY (postgres-transaction.ts); claims
// lock with FOR UPDATE SKIP LOCKED in the fair order of the other adapters (postgres-lease-store.ts);
// one LISTEN connection per process carries new work, cancels and journal growth to every process
// (postgres-listener.ts). See docs/design-notes.md, "The job store on PostgreSQL".
import { randomUUID } from 'node:crypto';
import type { PostgresConfig } from '../../config/schema.js';
import { StoreUnavailableError } from '../../errors/store-unavailable-error.js';
import { InvalidCursorError } from '../../errors/invalid-cursor-error.js';
import { QueueFullError } from '../../errors/queue-full-error.js';
import { BudgetExceededError } from '../../errors/budget-exceeded-error.js';
import {
  MAX_LOG_LINES,
  isTerminal,
  scopedIdempotencyKey,
  type JobRecord,
  type JobRequest,
  type JobStatus,
} from '../job.js';
import { requestHash } from '../request-hash.js';
import { TerminalRecordCache } from '../terminal-record-cache.js';
import { queueStats } from '../queue-stats.js';
import { JobQueueBase } from '../job-queue-base.js';
import type {
  CancelResult,
  ConsumeOptions,
  Consumer,
  JobEvent,
  JobQueue,
  ListOptions,
  ListResult,
  QueueDepth,
  QueueStats,
  RemoveResult,
  SubmitOptions,
  SubmitResult,
  WorkerClaimState,
} from '../job-queue.js';
import { ConsumerLoop, CONSUMER_LOOP_DEFAULTS, type ConsumerLoopSettings } from '../consumer-loop.js';
import { JOB_MESSAGES } from '../job-messages.js';
import { decodeListCursor, encodeListCursor } from '../list-cursor.js';
import { parseSegmentRecord, type SegmentRecord } from '../segment-records.js';
import { PostgresStore } from './postgres-store.js';
import { PostgresJournal } from './postgres-journal.js';
import { PostgresLeaseStore, appendLog, statusData } from './postgres-lease-store.js';
import {
  ADD_SPEND_SQL,
  FROM,
  POSITION_SQL,
  ROW_COLUMNS,
  TERMINAL,
  toRecord,
  withoutUploadedBytes,
  type JobRow,
} from './postgres-statements.js';

export interface PostgresJobQueueOptions {
  config: PostgresConfig;
  /** Defaults used by consume(); each consume() call may override. */
  consumer?: Partial<ConsumerLoopSettings>;
}

const QUEUED_DATA = { status: 'queued', stage: 'queued', progress: 0, error: null, artifact_uri: null };

export class PostgresJobQueue extends JobQueueBase implements JobQueue {
  readonly kind = 'postgres' as const;
  private readonly store: PostgresStore;
  protected readonly globalJournal: PostgresJournal;
  private readonly consumerDefaults: Partial<ConsumerLoopSettings>;
  private readonly consumers = new Set<ConsumerLoop>();
  private readonly terminalCache = new TerminalRecordCache();

  constructor(options: PostgresJobQueueOptions) {
    super();
    this.store = new PostgresStore(options.config);
    this.globalJournal = new PostgresJournal(this.store);
    this.consumerDefaults = options.consumer ?? {};
    this.store.listener.on('journal', (jobId: string) => this.watchers.notify(jobId));
    // Writes made while the LISTEN connection was down were not heard: every watcher re-reads.
    this.store.listener.on('reconnected', () => this.watchers.notifyAll());
  }

  /** Resolves once the schema is migrated (every call waits for it by itself; `ttv serve` checks it at start). */
  ready(): Promise<void> {
    return this.store.ready(true);
  }

  // ---- producer / read side -------------------------------------------------------------------

  /**
   * One transaction: the insert (an idempotency key already stored, by this owner, answers with that
   * job: the unique index makes a concurrent twin wait for the first one's outcome), its journal
   * entry and log line, then — under the journal head's lock, so alone among writers — the limits
   * (store-wide and per-owner queued counts, the owner's month spend) read as committed and the
   * spend added. A refusal rolls everything back.
   */
  async submit(request: JobRequest, options: SubmitOptions = {}): Promise<SubmitResult> {
    const hash = requestHash(request);
    const storedKey =
      options.idempotencyKey === undefined ? null : scopedIdempotencyKey(options.idempotencyKey, options.owner);
    const id = randomUUID();
    const now = new Date();
    let position = 1;
    let commitUnknown = false;
    const result = await this.store
      .write(
        async (tx) => {
          const inserted = (
            await tx.run<JobRow>(
              `INSERT INTO jobs (id, status, stage, progress, prompt, request, created_at, estimated_cost_usd,
             idempotency_key, request_hash, owner_key_id)
           VALUES ($1, 'queued', 'queued', 0, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (idempotency_key) DO NOTHING RETURNING ${ROW_COLUMNS}`,
              [
                id,
                request.prompt,
                JSON.stringify(request),
                now,
                options.estimatedCostUsd ?? null,
                storedKey,
                hash,
                options.owner ?? null,
              ],
            )
          ).rows[0];
          if (!inserted) {
            const existing = (
              await tx.run<JobRow>(`SELECT ${ROW_COLUMNS} FROM jobs WHERE idempotency_key = $1`, [storedKey])
            ).rows[0];
            if (!existing) throw new StoreUnavailableError('Job store busy (a job with this key was just removed)');
            const job = await this.store.record(existing, undefined, tx.run);
            return existing.request_hash === hash
              ? ({ outcome: 'replayed', job } as const)
              : ({ outcome: 'key_mismatch', job } as const);
          }
          tx.touch(Number(inserted.seq));
          tx.event('status', QUEUED_DATA);
          tx.log(JOB_MESSAGES.queued, now);
          tx.notify(this.store.channels.work);
          tx.notify(this.store.channels.journal, id);
          tx.thenUnderHead(async () => {
            // Committed counts (the totals' triggers run at COMMIT, under this same lock): this job is not in them yet.
            const queued =
              (await tx.run<{ n: string }>(`SELECT n FROM job_status_counts WHERE status = 'queued'`)).rows[0]?.n ?? 0;
            if (options.maxQueued && Number(queued) >= options.maxQueued)
              throw new QueueFullError('global', Number(queued), options.maxQueued);
            position = Number(queued) + 1;
            if (options.owner === undefined) return;
            if (options.maxQueuedForOwner) {
              const own = (
                await tx.run<{ n: number }>(
                  `SELECT COUNT(*)::int AS n FROM jobs WHERE owner_key_id = $1 AND status = 'queued' AND seq <> $2`,
                  [options.owner, inserted.seq],
                )
              ).rows[0]!.n;
              if (own >= options.maxQueuedForOwner) throw new QueueFullError('owner', own, options.maxQueuedForOwner);
            }
            // Every owner's month spend is the sum of its jobs' estimates (deleting a job does not refund it).
            const month = now.toISOString().slice(0, 7);
            const cost = options.estimatedCostUsd ?? 0;
            if (options.budget) {
              const spent =
                (
                  await tx.run<{ usd: number }>('SELECT usd FROM key_spend WHERE owner_key_id = $1 AND month = $2', [
                    options.owner,
                    month,
                  ])
                ).rows[0]?.usd ?? 0;
              if (spent + cost > options.budget.limitUsd + 1e-9)
                throw new BudgetExceededError(spent, cost, options.budget.limitUsd);
            }
            if (cost !== 0) await tx.run(ADD_SPEND_SQL, [options.owner, month, cost]);
          });
          return { outcome: 'created', row: inserted } as const;
        },
        undefined,
        () => {
          commitUnknown = true;
        },
      )
      .catch(async (err: unknown) => {
        if (!commitUnknown) throw err;
        // The COMMIT was sent and its answer lost: ask the server what it kept before answering.
        const outcome = await this.outcomeOf(id);
        if (outcome === 'absent') throw err;
        if (outcome !== 'unknown') return { outcome: 'stored', job: outcome } as const;
        void this.discard(id);
        throw err;
      });
    if (result.outcome === 'stored') return { outcome: 'created', job: result.job };
    if (result.outcome === 'created') return { outcome: 'created', job: toRecord(result.row, position) };
    return result;
  }

  /**
   * Whether a submission whose COMMIT answer was lost was stored, read back over the next few seconds
   * while the server comes back (a restart or failover): stored, the job is answered 202 and runs;
   * absent, 503 and nothing runs. Only a server still away after that leaves it unknown (then discard).
   */
  private async outcomeOf(id: string): Promise<JobRecord | 'absent' | 'unknown'> {
    for (const delayMs of [100, 250, 500, 1000, 2000]) {
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      if (this.store.isClosed) return 'unknown';
      try {
        return (await this.get(id)) ?? 'absent';
      } catch {
        // still unreachable: look again
      }
    }
    return 'unknown';
  }

  /**
   * A submission answered 503 must not run: when its COMMIT's answer was lost and the server could not
   * be asked what it kept (outcomeOf), the new job is removed while still queued, a few times over the next seconds as
   * the server may only now be coming back. A worker's claim between the commit and the discard runs
   * it: the same residual gap as on Redis (docs/design-notes.md, "A submission answered 503 never runs").
   */
  private async discard(id: string): Promise<void> {
    for (const delayMs of [0, 1000, 5000]) {
      await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
      if (this.store.isClosed) return;
      const done = await this.store
        .write(async (tx) => {
          const row = (
            await tx.run<{ seq: string }>(`SELECT seq FROM jobs WHERE id = $1 AND status = 'queued' FOR UPDATE`, [id])
          ).rows[0];
          if (!row) return false;
          await tx.run(
            `WITH l AS (DELETE FROM job_logs WHERE job_seq = $1), e AS (DELETE FROM job_events WHERE job_seq = $1)
             DELETE FROM jobs WHERE seq = $1`,
            [row.seq],
          );
          tx.touch(Number(row.seq));
          return true;
        })
        .catch(() => false);
      if (done) return;
    }
  }

  async get(id: string): Promise<JobRecord | null> {
    const cached = this.terminalCache.get(id);
    if (cached) return cached;
    const row = await this.store.row(null, id);
    return row ? this.terminalCache.remember(await this.store.record(row)) : null;
  }

  async list(options: ListOptions): Promise<ListResult> {
    const before = options.cursor === undefined ? null : decodeListCursor(options.cursor);
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (options.status) clauses.push(`status = $${params.push(options.status)}`);
    if (options.owner !== undefined) clauses.push(`owner_key_id = $${params.push(options.owner)}`);
    if (before !== null) clauses.push(`seq < $${params.push(before)}`);
    const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
    const rows = await this.store.query<JobRow>(
      `SELECT ${ROW_COLUMNS} FROM jobs ${where} ORDER BY seq DESC LIMIT $${params.push(options.limit + 1)}`,
      params,
    );
    const page = rows.slice(0, options.limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > options.limit && last ? encodeListCursor(last.seq) : null;
    // The page's queued jobs are consecutive in the queue: one COUNT for the oldest gives every position.
    const queued = page.filter((r) => r.status === 'queued').sort((a, b) => Number(a.seq) - Number(b.seq));
    const positions = new Map<string, number>();
    if (queued.length > 0) {
      const first = (await this.store.query<{ n: number }>(POSITION_SQL, [queued[0]!.seq]))[0]?.n ?? 1;
      queued.forEach((r, i) => positions.set(r.seq, first + i));
    }
    return { jobs: page.map((r) => toRecord(r, positions.get(r.seq) ?? null)), nextCursor };
  }

  async logs(id: string, tail: number): Promise<string[] | null> {
    const seq = await this.seqOf(id);
    if (seq === null) return null;
    const limit = tail > 0 ? Math.min(tail, MAX_LOG_LINES) : MAX_LOG_LINES;
    const rows = await this.store.query<{ line: string }>(
      'SELECT line FROM (SELECT n, line FROM job_logs WHERE job_seq = $1 ORDER BY n DESC LIMIT $2) t ORDER BY n',
      [seq, limit],
    );
    return rows.map((r) => r.line);
  }

  async appendLog(id: string, message: string): Promise<void> {
    await appendLog(this.store, id, message);
  }

  async events(id: string, after: string | null, limit = 500): Promise<JobEvent[] | null> {
    if (after !== null && !/^\d{1,15}$/.test(after)) throw new InvalidCursorError();
    const seq = await this.seqOf(id);
    if (seq === null) return null;
    const rows = await this.store.query<{ n: number; type: JobEvent['type']; data: Record<string, unknown> }>(
      'SELECT n, type, data FROM job_events WHERE job_seq = $1 AND n > $2 ORDER BY n LIMIT $3',
      [seq, after === null ? 0 : Number(after), limit],
    );
    return rows.map((r) => ({ id: String(r.n), type: r.type, data: r.data }));
  }

  private async seqOf(id: string): Promise<string | null> {
    const [row] = await this.store.query<{ seq: string }>('SELECT seq FROM jobs WHERE id = $1', [id]);
    return row?.seq ?? null;
  }

  /** Other processes' journal writes arrive as NOTIFYs on the process's one LISTEN connection. */
  protected startWatching(): void {
    this.store.listener.start();
  }

  async cancel(id: string): Promise<CancelResult> {
    return this.store.write(async (tx): Promise<CancelResult> => {
      const held = (await tx.run<JobRow>(`SELECT ${ROW_COLUMNS} FROM jobs WHERE id = $1 FOR UPDATE`, [id])).rows[0];
      if (!held) return { outcome: 'not_found' };
      if (!FROM.canceled.includes(`'${held.status}'`))
        return { outcome: 'terminal', job: await this.store.record(held, undefined, tx.run) };
      const row = (
        await tx.run<JobRow>(
          `UPDATE jobs SET status = 'canceled', finished_at = $2, request = $3,
             lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
           WHERE seq = $1 RETURNING ${ROW_COLUMNS}`,
          [held.seq, new Date(), JSON.stringify(withoutUploadedBytes(held.request))],
        )
      ).rows[0]!;
      tx.touch(Number(row.seq));
      tx.event('status', statusData(row));
      tx.log(JOB_MESSAGES.cancelRequested);
      tx.notify(this.store.channels.cancel, id);
      tx.notify(this.store.channels.journal, id);
      return { outcome: 'canceled', job: toRecord(row, null) };
    });
  }

  /** Reads the totals the deferred triggers keep (stores/postgres-schema.ts): a few rows at any store size. */
  async stats(): Promise<QueueStats> {
    const rows = await this.store.query<{ status: JobStatus; n: string; seconds: number; finished: string }>(
      `SELECT c.status, c.n, d.seconds, d.finished FROM job_status_counts c CROSS JOIN job_durations d`,
    );
    const counts: Partial<Record<JobStatus, number>> = {};
    for (const row of rows) counts[row.status] = Number(row.n);
    return queueStats(counts, { seconds: rows[0]?.seconds ?? 0, finished: Number(rows[0]?.finished ?? 0) });
  }

  async depth(): Promise<QueueDepth> {
    const stats = await this.stats();
    return { waiting: stats.queued, active: stats.active, delayed: 0 };
  }

  async liveWorkers(): Promise<number> {
    return (await this.workerStates()).length;
  }

  async workerStates(): Promise<WorkerClaimState[]> {
    const rows = await this.store.query<{ id: string; blocked_reason: string | null }>(
      `SELECT id, blocked_reason FROM workers WHERE heartbeat_at >= clock_timestamp() - $1 * interval '1 millisecond'
       ORDER BY id COLLATE "C"`,
      [this.store.workerTtlMs(this.heartbeatMs())],
    );
    return rows.map((r) => ({ workerId: r.id, canClaim: r.blocked_reason === null, reason: r.blocked_reason }));
  }

  /** The pool every request uses (and the schema migrated): what /readyz must see working. */
  async ping(): Promise<void> {
    await this.store.query('SELECT 1');
  }

  consume(options: ConsumeOptions): Consumer {
    if (this.store.isClosed) throw new StoreUnavailableError('Job store is closed');
    const consumer = new ConsumerLoop(this.openLeases(), options, this.consumerDefaults);
    this.consumers.add(consumer);
    consumer.onClosed(() => this.consumers.delete(consumer));
    return consumer;
  }

  openLeases(): PostgresLeaseStore {
    if (this.store.isClosed) throw new StoreUnavailableError('Job store is closed');
    return new PostgresLeaseStore(this.store, { heartbeatMs: this.heartbeatMs() });
  }

  async segmentRecords(jobId: string): Promise<SegmentRecord[]> {
    const rows = await this.store.query<{ data: string }>(
      'SELECT data FROM job_segments WHERE job_id = $1 ORDER BY segment',
      [jobId],
    );
    return rows.flatMap((r) => parseSegmentRecord(r.data) ?? []);
  }

  async remove(id: string): Promise<RemoveResult> {
    const result = await this.store.write(async (tx): Promise<RemoveResult> => {
      const row = (await tx.run<JobRow>(`SELECT ${ROW_COLUMNS} FROM jobs WHERE id = $1 FOR UPDATE`, [id])).rows[0];
      if (!row) return { outcome: 'not_found' };
      const job = await this.store.record(row, undefined, tx.run);
      if (!isTerminal(row.status)) return { outcome: 'not_terminal', job };
      await tx.run(
        `WITH l AS (DELETE FROM job_logs WHERE job_seq = $1), e AS (DELETE FROM job_events WHERE job_seq = $1),
           s AS (DELETE FROM job_segments WHERE job_id = $2)
         DELETE FROM jobs WHERE seq = $1`,
        [row.seq, id],
      );
      tx.touch(Number(row.seq)); // the head statement: the totals' delete trigger runs under its lock
      return { outcome: 'removed', job };
    });
    if (result.outcome === 'removed') this.terminalCache.forget(id);
    return result;
  }

  async expiredJobs(before: Date, limit: number): Promise<JobRecord[]> {
    const rows = await this.store.query<JobRow>(
      `SELECT ${ROW_COLUMNS} FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1
         AND status IN (${TERMINAL}) ORDER BY finished_at, seq LIMIT $2`,
      [before, limit],
    );
    return rows.map((r) => toRecord(r, null));
  }

  async close(): Promise<void> {
    if (this.store.isClosed) return;
    await Promise.all([...this.consumers].map((c) => c.close(0)));
    await this.store.close();
  }

  private heartbeatMs(): number {
    return this.consumerDefaults.heartbeatMs ?? CONSUMER_LOOP_DEFAULTS.heartbeatMs;
  }
}
