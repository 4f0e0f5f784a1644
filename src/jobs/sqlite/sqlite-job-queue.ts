// Embedded JobStore/Queue adapter on better-sqlite3 (WAL). One file under the data dir holds jobs,
// logs and worker heartbeats; several processes may share it (SQLite serialises writers).
import { EventEmitter } from 'node:events';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { Database as Db } from 'better-sqlite3';
import { StoreUnavailableError } from '../../errors/store-unavailable-error.js';
import { InvalidCursorError } from '../../errors/invalid-cursor-error.js';
import { QueueFullError } from '../../errors/queue-full-error.js';
import { BudgetExceededError } from '../../errors/budget-exceeded-error.js';
import {
  MAX_EVENTS,
  MAX_LOG_LINES,
  formatLogLine,
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
  RemoveResult,
  ConsumeOptions,
  JobEvent,
  QueueDepth,
  Consumer,
  JobQueue,
  ListOptions,
  ListResult,
  QueueStats,
  SubmitOptions,
  SubmitResult,
  WorkerClaimState,
} from '../job-queue.js';
import type { LeaseStore } from '../lease-store.js';
import { ConsumerLoop, type ConsumerLoopSettings } from '../consumer-loop.js';
import { JOB_MESSAGES } from '../job-messages.js';
import { decodeListCursor, encodeListCursor } from '../list-cursor.js';
import {
  listStatements,
  prepareStatements,
  type JobRow,
  type RecordRow,
  type SqliteStatements,
} from './sqlite-statements.js';
import { migrateJobDatabase } from '../../stores/sqlite-schema.js';
import { SqliteJournal } from './sqlite-journal.js';
import { GroupCommit } from './group-commit.js';
import { prepareStatsStatements } from './sqlite-job-stats.js';
import { parseSegmentRecord, type SegmentRecord } from '../segment-records.js';
import { SqliteLeaseStore, type SqliteStoreAccess } from './sqlite-lease-store.js';

/** How often a process looks for commits by other processes, while any stream watches a job. */
const FOREIGN_WRITE_CHECK_MS = 200;

export interface SqliteJobQueueOptions {
  /** Path of the database file, or ':memory:'. */
  file: string;
  /** Defaults used by consume(); each consume() call may override. */
  consumer?: Partial<ConsumerLoopSettings>;
}

const TRANSIENT_CODES = new Set([
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_FULL',
  'SQLITE_READONLY',
]);

export class SqliteJobQueue extends JobQueueBase implements JobQueue {
  readonly kind = 'sqlite' as const;
  /** In-process signals: 'enqueued' wakes idle consumers, 'cancel' (jobId) aborts a running job. */
  readonly signals = new EventEmitter();
  private readonly db: Db;
  private readonly statements: SqliteStatements;
  private readonly submissions: GroupCommit;
  /** Adds one entry to the job's event journal (newest MAX_EVENTS kept). */
  private readonly appendEventTransaction: (id: string, type: JobEvent['type'], data: Record<string, unknown>) => void;
  private readonly statsStatements: ReturnType<typeof prepareStatsStatements>;
  private readonly listStatement: ReturnType<typeof listStatements>;
  private readonly consumers = new Set<ConsumerLoop>();
  private readonly consumerDefaults: Partial<ConsumerLoopSettings>;
  private closed = false;
  private readonly terminalCache = new TerminalRecordCache();
  /** Watched job ids (with their watcher count) and the journal length last seen for each. */
  private readonly lastEventSeq = new Map<string, number>();
  private foreignWrites: NodeJS.Timeout | null = null;
  protected readonly globalJournal: SqliteJournal;
  /** This store's internals as its lease store sees them. */
  private readonly access: SqliteStoreAccess;

  constructor(options: SqliteJobQueueOptions) {
    super();
    if (options.file !== ':memory:') {
      // Prompts, logs and job records are private: the data dir is 0700 when we create it, the
      // database 0600 (SQLite gives -wal and -shm the database file's mode).
      mkdirSync(dirname(options.file), { recursive: true, mode: 0o700 });
      closeSync(openSync(options.file, 'a', 0o600));
      chmodSync(options.file, 0o600);
    }
    this.db = new Database(options.file);
    this.db.pragma('journal_mode = WAL');
    if (options.file !== ':memory:') {
      for (const extra of [`${options.file}-wal`, `${options.file}-shm`])
        if (existsSync(extra)) chmodSync(extra, 0o600);
    }
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    this.signals.setMaxListeners(0);
    migrateJobDatabase(this.db);
    this.globalJournal = new SqliteJournal(this.db, (fn) => this.guard(fn));
    this.consumerDefaults = options.consumer ?? {};
    this.statements = prepareStatements(this.db);
    this.statsStatements = prepareStatsStatements(this.db);
    this.listStatement = listStatements(this.db);
    this.submissions = new GroupCommit(this.db);
    // One transaction: the global sequence number is taken and used in the same commit (sqlite-journal.ts).
    // Made once, not per event: better-sqlite3 builds a transaction function's variants each time.
    this.appendEventTransaction = this.db.transaction(
      (id: string, type: JobEvent['type'], data: Record<string, unknown>) => {
        const row = this.statements.nextEvent.get(id);
        if (!row) return;
        this.statements.insertEvent.run(
          row.seq,
          row.event_seq,
          type,
          JSON.stringify(data),
          this.globalJournal.next(),
          Date.now(),
        );
        if (row.event_seq > MAX_EVENTS) this.statements.trimEvents.run(row.seq, row.event_seq - MAX_EVENTS);
      },
    );
    this.access = {
      db: this.db,
      statements: this.statements,
      signals: this.signals,
      isClosed: () => this.closed,
      guard: (fn) => this.guard(fn),
      toRecord: (row) => this.toRecord(row),
      appendLog: (id, message) => this.appendLog(id, message),
      appendLogSync: (id, message) => this.appendLogSync(id, message),
      appendEventSync: (id, type, data) => this.appendEventSync(id, type, data),
      statusEvent: (row) => this.statusEvent(row),
      notify: (id) => this.notify(id),
      addSpend: (owner, month, usd) => this.addSpend(owner, month, usd),
      workerTtlMs: () => this.workerTtlMs(),
    };
  }

  // ---- producer / read side -------------------------------------------------------------------

  async submit(request: JobRequest, options: SubmitOptions = {}): Promise<SubmitResult> {
    if (this.closed) throw new StoreUnavailableError('Job store is closed');
    const hash = requestHash(request);
    const storedKey =
      options.idempotencyKey === undefined ? undefined : scopedIdempotencyKey(options.idempotencyKey, options.owner);
    // Submissions of one event-loop turn share a commit (group-commit.ts); this one's savepoint:
    const result = await this.submissions
      .run((): SubmitResult => {
        if (storedKey !== undefined) {
          const existing = this.statements.byKey.get(storedKey) as JobRow | undefined;
          if (existing) {
            const job = this.toRecord(existing);
            return existing.request_hash === hash ? { outcome: 'replayed', job } : { outcome: 'key_mismatch', job };
          }
        }
        if (options.maxQueued) {
          const queued = this.statements.queuedCount.get()?.n ?? 0;
          if (queued >= options.maxQueued) throw new QueueFullError('global', queued, options.maxQueued);
        }
        if (options.maxQueuedForOwner && options.owner !== undefined) {
          const queued = this.statements.ownerQueuedCount.get(options.owner)?.n ?? 0;
          if (queued >= options.maxQueuedForOwner) throw new QueueFullError('owner', queued, options.maxQueuedForOwner);
        }
        const id = randomUUID();
        const now = new Date();
        if (options.owner !== undefined) {
          // Every owner's month spend is the sum of its jobs' estimates (deleting a job does not refund it).
          const month = now.toISOString().slice(0, 7);
          const cost = options.estimatedCostUsd ?? 0;
          if (options.budget) {
            const spent = this.statements.spendOf.get(options.owner, month)?.usd ?? 0;
            if (spent + cost > options.budget.limitUsd + 1e-9)
              throw new BudgetExceededError(spent, cost, options.budget.limitUsd);
          }
          if (cost !== 0) this.addSpend(options.owner, month, cost);
        }
        this.statements.insert.run({
          id,
          prompt: request.prompt,
          request: JSON.stringify(request),
          created_at: now.toISOString(),
          estimated_cost_usd: options.estimatedCostUsd ?? null,
          idempotency_key: storedKey ?? null,
          request_hash: hash,
          owner_key_id: options.owner ?? null,
        });
        this.appendEventSync(id, 'status', {
          status: 'queued',
          stage: 'queued',
          progress: 0,
          error: null,
          artifact_uri: null,
        });
        this.appendLogSync(id, JOB_MESSAGES.queued, now);
        // The new job has the highest seq, so it stands behind every queued job: its position is the queued count.
        return {
          outcome: 'created',
          job: this.toRecord(this.statements.byId.get(id) as JobRow, this.statements.queuedCount.get()?.n ?? 1),
        };
      })
      .catch((err: unknown) => {
        throw this.storeError(err);
      });
    if (result.outcome === 'created') this.signals.emit('enqueued');
    return result;
  }

  async get(id: string): Promise<JobRecord | null> {
    const cached = this.terminalCache.get(id);
    if (cached) return cached;
    return this.guard(() => {
      const row = this.statements.byId.get(id) as JobRow | undefined;
      if (!row) return null;
      return this.terminalCache.remember(this.toRecord(row));
    });
  }

  async list(options: ListOptions): Promise<ListResult> {
    return this.guard(() => {
      let before: number | null = null;
      if (options.cursor !== undefined) before = decodeListCursor(options.cursor);
      const params: unknown[] = [];
      if (options.status) params.push(options.status);
      if (options.owner !== undefined) params.push(options.owner);
      if (before !== null) params.push(before);
      const statement = this.listStatement({
        status: Boolean(options.status),
        owner: options.owner !== undefined,
        before: before !== null,
      });
      const rows = statement.all(...params, options.limit + 1);
      const page = rows.slice(0, options.limit);
      const last = page[page.length - 1];
      const nextCursor = rows.length > options.limit && last ? encodeListCursor(last.seq) : null;
      // The page's queued jobs are consecutive in the queue (the page covers a contiguous seq range):
      // one COUNT for the oldest gives every position, instead of one COUNT per job.
      const positions = new Map<number, number>();
      const queued = page
        .filter((r) => r.status === 'queued')
        .map((r) => r.seq)
        .sort((a, b) => a - b);
      if (queued.length > 0) {
        const first = this.statements.position.get(queued[0]!)?.n ?? 1;
        queued.forEach((seq, i) => positions.set(seq, first + i));
      }
      return { jobs: page.map((r) => this.toRecord(r, positions.get(r.seq))), nextCursor };
    });
  }

  async logs(id: string, tail: number): Promise<string[] | null> {
    return this.guard(() => {
      const row = this.statements.byId.get(id) as JobRow | undefined;
      if (!row) return null;
      const limit = tail > 0 ? Math.min(tail, MAX_LOG_LINES) : MAX_LOG_LINES;
      return (this.statements.tailLogs.all(row.seq, limit) as { line: string }[]).map((r) => r.line);
    });
  }

  async appendLog(id: string, message: string): Promise<void> {
    this.guard(() => this.appendLogSync(id, message));
    this.notify(id);
  }

  async events(id: string, after: string | null, limit = 500): Promise<JobEvent[] | null> {
    if (after !== null && !/^\d{1,15}$/.test(after)) throw new InvalidCursorError();
    return this.guard(() => {
      const row = this.statements.byId.get(id) as JobRow | undefined;
      if (!row) return null;
      const rows = this.statements.eventsAfter.all(row.seq, after === null ? 0 : Number(after), limit) as {
        n: number;
        type: JobEvent['type'];
        data: string;
      }[];
      return rows.map((r) => ({ id: String(r.n), type: r.type, data: JSON.parse(r.data) as Record<string, unknown> }));
    });
  }

  /**
   * This process's writes notify at once (notify()). Another process on the same file (a `ttv worker`)
   * is noticed by one check per process of PRAGMA data_version, which changes only when another
   * connection commits; then the watched jobs whose journal grew are notified.
   */
  protected startWatching(): void {
    this.foreignWrites ??= this.watchForeignWrites();
  }

  protected override stoppedWatching(id: string): void {
    if (!this.watchers.watches(id)) this.lastEventSeq.delete(id);
    if (this.watchers.size === 0 && this.foreignWrites) {
      clearInterval(this.foreignWrites);
      this.foreignWrites = null;
    }
  }

  private watchForeignWrites(): NodeJS.Timeout {
    const version = this.db.prepare('PRAGMA data_version').pluck();
    let seen = version.get() as number;
    const timer = setInterval(() => {
      if (this.closed) return;
      try {
        const now = version.get() as number;
        if (now === seen) return;
        seen = now;
        const ids = this.watchers.ids();
        for (let i = 0; i < ids.length; i += 500) {
          const chunk = ids.slice(i, i + 500);
          const rows = this.db
            .prepare(`SELECT id, event_seq FROM jobs WHERE id IN (${chunk.map(() => '?').join(',')})`)
            .all(...chunk) as { id: string; event_seq: number }[];
          for (const row of rows) {
            if (this.lastEventSeq.get(row.id) !== row.event_seq) {
              this.lastEventSeq.set(row.id, row.event_seq);
              this.notify(row.id);
            }
          }
        }
      } catch {
        /* busy or closing: the next tick looks again */
      }
    }, FOREIGN_WRITE_CHECK_MS);
    timer.unref();
    return timer;
  }

  async cancel(id: string): Promise<CancelResult> {
    return this.guard(() => {
      const run = this.db.transaction((): CancelResult => {
        const row = this.statements.cancel.get({ id, now: new Date().toISOString() }) as JobRow | undefined;
        if (row) {
          this.statusEvent(row);
          this.appendLogSync(id, JOB_MESSAGES.cancelRequested);
          return { outcome: 'canceled', job: this.toRecord(row) };
        }
        const existing = this.statements.byId.get(id) as JobRow | undefined;
        return existing ? { outcome: 'terminal', job: this.toRecord(existing) } : { outcome: 'not_found' };
      });
      const result = run.immediate();
      if (result.outcome === 'canceled') {
        this.signals.emit('cancel', id);
        this.notify(id);
      }
      return result;
    });
  }

  /** Reads the totals the triggers keep (sqlite-job-stats.ts): O(1) in the number of jobs stored. */
  async stats(): Promise<QueueStats> {
    return this.guard(() => {
      const counts: Partial<Record<JobStatus, number>> = {};
      for (const row of this.statsStatements.counts.all()) counts[row.status as JobStatus] = row.n;
      return queueStats(counts, this.statsStatements.durations.get() ?? { seconds: 0, finished: 0 });
    });
  }

  async depth(): Promise<QueueDepth> {
    const stats = await this.stats();
    return { waiting: stats.queued, active: stats.active, delayed: 0 };
  }

  async liveWorkers(): Promise<number> {
    return this.guard(() => {
      const since = Date.now() - this.workerTtlMs();
      return (this.statements.workersLive.get(since) as { n: number }).n;
    });
  }

  async workerStates(): Promise<WorkerClaimState[]> {
    return this.guard(() => {
      const since = Date.now() - this.workerTtlMs();
      return this.statements.workerStates
        .all(since)
        .map((row) => ({ workerId: row.id, canClaim: row.blocked_reason === null, reason: row.blocked_reason }));
    });
  }

  async ping(): Promise<void> {
    this.guard(() => this.statements.ping.get());
  }

  consume(options: ConsumeOptions): Consumer {
    if (this.closed) throw new StoreUnavailableError('Job store is closed');
    const consumer = new ConsumerLoop(this.openLeases(), options, this.consumerDefaults);
    this.consumers.add(consumer);
    consumer.onClosed(() => this.consumers.delete(consumer));
    return consumer;
  }

  async segmentRecords(jobId: string): Promise<SegmentRecord[]> {
    return this.guard(() =>
      (
        this.db.prepare('SELECT data FROM job_segments WHERE job_id = ? ORDER BY segment').all(jobId) as {
          data: string;
        }[]
      ).flatMap((r) => parseSegmentRecord(r.data) ?? []),
    );
  }

  async remove(id: string): Promise<RemoveResult> {
    return this.guard(() => {
      const run = this.db.transaction((): RemoveResult => {
        const row = this.statements.byId.get(id) as JobRow | undefined;
        if (!row) return { outcome: 'not_found' };
        const job = this.toRecord(row);
        if (!isTerminal(row.status)) return { outcome: 'not_terminal', job };
        this.db.prepare('DELETE FROM job_logs WHERE job_seq = ?').run(row.seq);
        this.db.prepare('DELETE FROM job_events WHERE job_seq = ?').run(row.seq);
        this.db.prepare('DELETE FROM jobs WHERE seq = ?').run(row.seq);
        this.db.prepare('DELETE FROM job_segments WHERE job_id = ?').run(id);
        return { outcome: 'removed', job };
      });
      const result = run.immediate();
      if (result.outcome === 'removed') this.terminalCache.forget(id);
      return result;
    });
  }

  async expiredJobs(before: Date, limit: number): Promise<JobRecord[]> {
    return this.guard(() => {
      const rows = this.statements.pastRetention.all(before.toISOString(), limit);
      return rows.map((row) => this.toRecord(row));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.all([...this.consumers].map((c) => c.close(0)));
    this.submissions.flush();
    this.closed = true;
    if (this.foreignWrites) clearInterval(this.foreignWrites);
    this.db.close();
  }

  // ---- lease side: the consumer loop's LeaseStore (sqlite-lease-store.ts) --------------------------

  /** This store's leases, for one consumer. */
  openLeases(): LeaseStore {
    if (this.closed) throw new StoreUnavailableError('Job store is closed');
    return new SqliteLeaseStore(this.access);
  }

  private addSpend(owner: string, month: string, usd: number): void {
    this.statements.addSpend.run(owner, month, usd);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private workerTtlMs(): number {
    return Math.max(3 * (this.consumerDefaults.heartbeatMs ?? 5000), 3000);
  }

  private appendLogSync(id: string, message: string, at: Date = new Date()): void {
    const row = this.statements.appendLog.get(id) as { seq: number; log_seq: number } | undefined;
    if (!row) return;
    const line = formatLogLine(message, at);
    this.statements.insertLog.run(row.seq, row.log_seq, line);
    if (row.log_seq > MAX_LOG_LINES) this.statements.trimLogs.run(row.seq, row.log_seq - MAX_LOG_LINES);
    this.appendEventSync(id, 'log', { line });
  }

  /** Adds one entry to the job's event journal (newest MAX_EVENTS kept). */
  private appendEventSync(id: string, type: JobEvent['type'], data: Record<string, unknown>): void {
    this.appendEventTransaction(id, type, data);
  }

  private statusEvent(row: JobRow): void {
    this.appendEventSync(row.id, 'status', {
      status: row.status,
      stage: row.stage,
      progress: row.progress,
      error: row.error,
      artifact_uri: row.artifact_uri,
    });
  }

  private notify(id: string): void {
    this.watchers.notify(id);
  }

  private toRecord(row: RecordRow, knownPosition?: number): JobRecord {
    let queuePosition: number | null = null;
    if (row.status === 'queued')
      queuePosition = knownPosition ?? (this.statements.position.get(row.seq) as { n: number }).n;
    return {
      id: row.id,
      status: row.status,
      stage: row.stage,
      progress: row.progress,
      prompt: row.prompt,
      request: JSON.parse(row.request) as JobRequest,
      created_at: row.created_at,
      started_at: row.started_at,
      finished_at: row.finished_at,
      gcs_uri: row.gcs_uri,
      artifact_uri: row.artifact_uri,
      artifact_key: row.artifact_key,
      error: row.error,
      estimated_cost_usd: row.estimated_cost_usd,
      attempts: row.attempts,
      owner_key_id: row.owner_key_id ?? null,
      queue_position: queuePosition,
    };
  }

  /** Maps SQLite's "cannot reach the database" failures to StoreUnavailableError (503). */
  private guard<T>(fn: () => T): T {
    if (this.closed) throw new StoreUnavailableError('Job store is closed');
    try {
      return fn();
    } catch (err) {
      throw this.storeError(err);
    }
  }

  /** SQLite's "cannot reach the database" failures as StoreUnavailableError; anything else as it is. */
  private storeError(err: unknown): unknown {
    const code = (err as { code?: string }).code ?? '';
    if (TRANSIENT_CODES.has(code) || [...TRANSIENT_CODES].some((c) => code.startsWith(`${c}_`))) {
      // A full disk says so: it is what an operator reading /readyz or a job log must act on.
      return new StoreUnavailableError(
        code === 'SQLITE_FULL' ? 'Job store unavailable: the disk under the data dir is full' : 'Job store unavailable',
        { cause: err },
      );
    }
    return err;
  }
}
