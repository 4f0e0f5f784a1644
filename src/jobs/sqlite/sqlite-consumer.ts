// Runs jobs from the SQLite store: claims FIFO under a lease, renews it on a heartbeat, delivers
// cancels (in-process event at once, or seen on the next heartbeat from another process), and
// recovers jobs whose worker died. Every write is conditional on the lease token, so a job whose
// lease was lost can never be finished twice.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Consumer, ConsumeOptions, JobContext, JobHandler } from '../job-queue.js';
import type { JobStage } from '../job.js';
import type { Lease, SqliteJobQueue } from './sqlite-job-queue.js';

export interface SqliteConsumerSettings {
  leaseMs: number;
  heartbeatMs: number;
  /** Fallback poll for work submitted by other processes. */
  pollMs: number;
  maxAttempts: number;
}

const DEFAULTS: SqliteConsumerSettings = { leaseMs: 30_000, heartbeatMs: 5_000, pollMs: 500, maxAttempts: 3 };

type AbortReason = 'canceled' | 'lost' | 'shutdown';

interface Running {
  lease: Lease;
  controller: AbortController;
  done: Promise<void>;
}

export class SqliteConsumer implements Consumer {
  readonly workerId: string;
  private readonly settings: SqliteConsumerSettings;
  private readonly handler: JobHandler;
  private readonly onSettled: ((jobId: string) => void) | undefined;
  private readonly onCanceledOutcome: ConsumeOptions['onCanceledOutcome'];
  private readonly concurrency: number;
  private readonly runningJobs = new Map<string, Running>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly closedListeners: (() => void)[] = [];
  private closing = false;
  private filling = false;
  private readonly onEnqueued = () => this.fill();
  private readonly onCancel = (jobId: string) => this.abortJob(jobId, 'canceled');

  constructor(private readonly store: SqliteJobQueue, options: ConsumeOptions, defaults: Partial<SqliteConsumerSettings>) {
    this.settings = { ...DEFAULTS, ...defaults };
    this.handler = options.handler;
    this.onSettled = options.onSettled;
    this.onCanceledOutcome = options.onCanceledOutcome;
    this.concurrency = options.concurrency;
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    store.signals.on('enqueued', this.onEnqueued);
    store.signals.on('cancel', this.onCancel);
    // The timers keep the process alive on purpose: a consumer runs until it is closed.
    this.timers.push(setInterval(() => this.heartbeat(), this.settings.heartbeatMs));
    this.timers.push(setInterval(() => this.fill(), this.settings.pollMs));
    this.safely(() => store.workerHeartbeat(this.workerId));
    this.safely(() => store.recoverExpired(this.settings.maxAttempts));
    queueMicrotask(() => this.fill());
  }

  get running(): number {
    return this.runningJobs.size;
  }

  onClosed(listener: () => void): void {
    this.closedListeners.push(listener);
  }

  async close(graceMs = 0): Promise<void> {
    if (this.closing) {
      await Promise.all([...this.runningJobs.values()].map((r) => r.done));
      return;
    }
    this.closing = true;
    this.store.signals.off('enqueued', this.onEnqueued);
    this.store.signals.off('cancel', this.onCancel);
    const pending = [...this.runningJobs.values()].map((r) => r.done);
    if (pending.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<void>((resolve) => { timer = setTimeout(resolve, graceMs); });
      await Promise.race([Promise.all(pending), expired]);
      clearTimeout(timer);
      // Whatever is still running is aborted and handed back to the queue, not lost.
      for (const id of this.runningJobs.keys()) this.abortJob(id, 'shutdown');
      await Promise.all([...this.runningJobs.values()].map((r) => r.done));
    }
    for (const t of this.timers) clearInterval(t);
    this.safely(() => this.store.workerGone(this.workerId));
    for (const listener of this.closedListeners) listener();
  }

  private fill(): void {
    if (this.closing || this.filling || this.store.isClosed) return;
    this.filling = true;
    try {
      while (this.runningJobs.size < this.concurrency && !this.closing) {
        const lease = this.safely(() => this.store.claimNext(this.workerId, this.settings.leaseMs));
        if (!lease) break;
        this.start(lease);
      }
    } finally {
      this.filling = false;
    }
  }

  private start(lease: Lease): void {
    const controller = new AbortController();
    const jobId = lease.job.id;
    const reasonOf = () => controller.signal.reason as AbortReason | undefined;
    const context: JobContext = {
      job: lease.job,
      attempt: lease.job.attempts,
      workerId: this.workerId,
      signal: controller.signal,
      progress: async (progress: number, stage?: JobStage, message?: string) => {
        if (controller.signal.aborted) return;
        const ok = this.safely(() => this.store.writeProgress(lease, progress, stage, message));
        if (ok === false) this.abortJob(jobId, this.safely(() => this.store.whyNotHeld(lease)) === 'canceled' ? 'canceled' : 'lost');
      },
      log: async (message: string) => {
        await this.store.appendLog(jobId, message).catch(() => undefined);
      },
      setEstimatedCost: async (usd: number | null) => {
        this.safely(() => this.store.writeCost(lease, usd));
      },
    };
    const done = (async () => {
      try {
        const outcome = await this.handler(context);
        const message = `Video generation completed: ${outcome.gcsUri ?? outcome.artifactUri}`;
        const finished = controller.signal.aborted ? false : this.safely(() => this.store.finish(lease, outcome, message));
        if (!finished && (reasonOf() === 'canceled' || this.safely(() => this.store.whyNotHeld(lease)) === 'canceled')) {
          await this.onCanceledOutcome?.(jobId, outcome).catch(() => undefined);
        }
      } catch (err) {
        const reason = reasonOf();
        if (reason === 'shutdown') {
          this.safely(() => this.store.requeue(lease, 'Worker shutting down; job handed back to the queue', true));
        } else if (reason === undefined) {
          const message = err instanceof Error ? err.message : String(err);
          this.safely(() => this.store.failJob(lease, message || 'Job failed'));
        }
        // canceled: the store already says canceled; lost: another worker owns the job now.
      } finally {
        this.runningJobs.delete(jobId);
        this.onSettled?.(jobId);
        if (!this.closing) queueMicrotask(() => this.fill());
      }
    })();
    this.runningJobs.set(jobId, { lease, controller, done });
  }

  private abortJob(jobId: string, reason: AbortReason): void {
    const running = this.runningJobs.get(jobId);
    if (running && !running.controller.signal.aborted) running.controller.abort(reason);
  }

  private heartbeat(): void {
    if (this.store.isClosed) return;
    this.safely(() => this.store.workerHeartbeat(this.workerId));
    for (const [jobId, running] of this.runningJobs) {
      if (running.controller.signal.aborted) continue;
      const state = this.safely(() => this.store.renewLease(running.lease, this.settings.leaseMs));
      if (state === 'canceled' || state === 'lost') this.abortJob(jobId, state);
    }
    this.safely(() => this.store.recoverExpired(this.settings.maxAttempts));
  }

  /** A store hiccup must not crash the worker: the next heartbeat or poll tries again. */
  private safely<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch {
      return undefined;
    }
  }
}
