// The one job lifecycle of every adapter: claims leases from a LeaseStore, runs each attempt under its
// own AbortController, renews leases on a heartbeat, delivers cancels, closes with a grace period and
// records each attempt's outcome. Running work is keyed by lease token, never by job id, so a
// re-delivered job can never abort or overwrite the attempt that holds its lease.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { redactText } from '../logging/redact.js';
import { clampProgress, type JobStage } from './job.js';
import type { ConsumeOptions, Consumer, ConsumerProblem, JobContext, JobOutcome } from './job-queue.js';
import type { Lease, LeaseState, LeaseStore } from './lease-store.js';
import { DEFAULT_FAILURE, JOB_MESSAGES } from './job-messages.js';
import { LeaseLostError } from '../errors/lease-lost-error.js';

export interface ConsumerLoopSettings {
  leaseMs: number;
  heartbeatMs: number;
  /** How long to wait for work before looking again (also the retry delay of a gated or failed claim). */
  pollMs: number;
  maxAttempts: number;
}

export const CONSUMER_LOOP_DEFAULTS: ConsumerLoopSettings = {
  leaseMs: 30_000,
  heartbeatMs: 5_000,
  pollMs: 500,
  maxAttempts: 3,
};

/** Why an attempt was aborted: canceled by a client, its lease lost, or the consumer shutting down. */
export type AbortReason = 'canceled' | 'lost' | 'shutdown';

/** The backoff of an outcome write that failed: doubles from the first to the last, then stays. */
const OUTCOME_RETRY_FIRST_MS = 100;
const OUTCOME_RETRY_MAX_MS = 5_000;

export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

interface Attempt {
  readonly lease: Lease;
  readonly controller: AbortController;
  done: Promise<void>;
  renewing: boolean;
}

type Written = 'written' | LeaseState | 'gave_up';

export class ConsumerLoop implements Consumer {
  readonly workerId: string;
  private readonly settings: ConsumerLoopSettings;
  private readonly attempts = new Map<string, Attempt>();
  private readonly problemsByToken = new Map<string, ConsumerProblem>();
  private readonly closedListeners: (() => void)[] = [];
  private readonly stopping = new AbortController();
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly unsubscribeCancel: () => void;
  private wakeClaimLoop: (() => void) | null = null;
  private readonly claimLoop: Promise<void>;
  private closing: Promise<void> | null = null;
  /** Set once the grace period is over: outcome writes stop retrying, the lease will expire instead. */
  private hardStop = false;
  /** The gate's reason as last sent with a heartbeat (undefined: none sent yet). */
  private beatReason: string | null | undefined;

  constructor(
    private readonly store: LeaseStore,
    private readonly options: ConsumeOptions,
    settings: Partial<ConsumerLoopSettings> = {},
  ) {
    this.settings = { ...CONSUMER_LOOP_DEFAULTS, ...settings };
    this.workerId = options.workerId ?? newWorkerId();
    this.unsubscribeCancel = store.onCancel((jobId) => void this.checkCanceled(jobId));
    // The timer keeps the process alive on purpose: a consumer runs until it is closed.
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.settings.heartbeatMs);
    void this.heartbeat();
    this.claimLoop = this.runClaimLoop();
  }

  get running(): number {
    return this.attempts.size;
  }

  /** Outcomes that could not be written yet (store down, disk full), with their cause. */
  problems(): ConsumerProblem[] {
    return [...this.problemsByToken.values()];
  }

  onClosed(listener: () => void): void {
    this.closedListeners.push(listener);
  }

  close(graceMs = 0): Promise<void> {
    this.closing ??= (async () => {
      this.stopping.abort();
      this.wakeClaimLoop?.();
      this.unsubscribeCancel();
      const pending = () => [...this.attempts.values()].map((a) => a.done);
      if (this.attempts.size > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.all(pending()),
          new Promise<void>((r) => {
            timer = setTimeout(r, graceMs);
          }),
        ]);
        clearTimeout(timer);
        // Whatever still runs is aborted and handed back to the queue, not lost.
        this.hardStop = true;
        for (const attempt of this.attempts.values()) this.abort(attempt, 'shutdown');
        await Promise.all(pending());
      }
      clearInterval(this.heartbeatTimer);
      await this.store.workerGone(this.workerId).catch(() => undefined);
      await this.store.close().catch(() => undefined);
      await this.claimLoop;
      for (const listener of this.closedListeners) listener();
    })();
    return this.closing;
  }

  // ---- claiming ---------------------------------------------------------------------------------

  private async runClaimLoop(): Promise<void> {
    await Promise.resolve(); // let the constructor finish before the first claim
    while (!this.stopping.signal.aborted) {
      let pause = false;
      if (this.attempts.size < this.options.concurrency) {
        const gateReason = this.gateReason();
        // A changed claim state is told at once, not at the next heartbeat: /readyz of any API reads it.
        if (this.beatReason !== undefined && gateReason !== this.beatReason) void this.beat(gateReason);
        if (gateReason !== null) {
          pause = true; // not now (e.g. disk low): look again after pollMs
        } else {
          const lease = await this.store
            .claim(this.workerId, this.settings.leaseMs, this.stopping.signal)
            .catch(() => undefined);
          if (lease === undefined)
            pause = true; // store trouble: try again after pollMs
          else if (lease === null)
            await this.store.idle(this.settings.pollMs, this.stopping.signal).catch(() => undefined);
          else if (this.stopping.signal.aborted) await this.handBackUnstarted(lease);
          else this.start(lease);
          if (!pause) continue;
        }
      }
      // At capacity, gated or after an error: sleep until an attempt settles, pollMs passes or close.
      await new Promise<void>((resolve) => {
        const timer = pause ? setTimeout(resolve, this.settings.pollMs) : undefined;
        this.wakeClaimLoop = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeClaimLoop = null;
    }
  }

  /** A lease that arrived while closing: back to the queue, its attempt refunded. */
  private async handBackUnstarted(lease: Lease): Promise<void> {
    await this.store.handBack(lease, JOB_MESSAGES.handedBack, true).catch(() => undefined);
    await this.store.release(lease).catch(() => undefined);
  }

  // ---- one attempt ------------------------------------------------------------------------------

  private start(lease: Lease): void {
    const controller = new AbortController();
    const attempt: Attempt = { lease, controller, done: Promise.resolve(), renewing: false };
    this.attempts.set(lease.token, attempt);
    attempt.done = this.run(attempt).finally(async () => {
      await this.store.release(lease).catch(() => undefined);
      this.attempts.delete(lease.token);
      this.problemsByToken.delete(lease.token);
      this.options.onSettled?.(lease.job.id);
      this.wakeClaimLoop?.();
    });
  }

  private context(attempt: Attempt): JobContext {
    const { lease, controller } = attempt;
    return {
      job: lease.job,
      attempt: lease.job.attempts,
      workerId: this.workerId,
      signal: controller.signal,
      progress: async (progress: number, stage?: JobStage, message?: string) => {
        if (controller.signal.aborted) return;
        const written = await this.store
          .progress(lease, { progress: clampProgress(progress), stage, message })
          .catch(() => undefined);
        if (written === false) this.stopIfGone(attempt, await this.store.state(lease).catch(() => undefined));
      },
      log: async (message: string) => {
        await this.store.log(lease.job.id, message).catch(() => undefined);
      },
      setEstimatedCost: async (usd: number | null) => {
        await this.store.cost(lease, usd).catch(() => undefined);
      },
      recordSegment: async (record) => {
        // A store error goes to the caller (it may try again); a refusal means the job is not ours any more.
        if (await this.store.recordSegment(lease, record)) return;
        const state = await this.store.state(lease).catch(() => undefined);
        this.stopIfGone(attempt, state);
        throw new LeaseLostError(lease.job.id, state === 'canceled' ? 'canceled' : 'lost');
      },
    };
  }

  private async run(attempt: Attempt): Promise<void> {
    const { lease, controller } = attempt;
    let outcome: JobOutcome;
    try {
      outcome = await this.options.handler(this.context(attempt));
    } catch (err) {
      const reason = controller.signal.reason as AbortReason | undefined;
      if (reason === 'shutdown') {
        await this.record(attempt, () => this.store.handBack(lease, JOB_MESSAGES.handedBack, true));
      } else if (reason === undefined) {
        const error = (err instanceof Error ? err.message : String(err)) || DEFAULT_FAILURE;
        // Not the job's fault (disk full): back to the queue, unless this was its last attempt.
        const handBack =
          lease.job.attempts < this.settings.maxAttempts ? (this.options.handBackOn?.(err) ?? null) : null;
        if (handBack !== null) await this.record(attempt, () => this.store.handBack(lease, handBack, false));
        else await this.record(attempt, () => this.store.fail(lease, error, JOB_MESSAGES.failed(error)));
      }
      // canceled: the store already says so; lost: another attempt holds the job now.
      return;
    }
    const reason = controller.signal.reason as AbortReason | undefined;
    // A real outcome is recorded even when shutdown asked the handler to stop: the work is done.
    const written =
      reason === undefined || reason === 'shutdown'
        ? await this.record(attempt, () => this.store.finish(lease, outcome, JOB_MESSAGES.completed(outcome)))
        : reason;
    if (written === 'canceled') await this.options.onCanceledOutcome?.(lease.job.id, outcome).catch(() => undefined);
  }

  /**
   * Writes an outcome until it is written or the lease is really gone. A store error (down, disk
   * full) is retried with backoff while the lease is kept renewed, and shows in problems() meanwhile.
   */
  private async record(attempt: Attempt, write: () => Promise<boolean>): Promise<Written> {
    const { lease } = attempt;
    let delay = OUTCOME_RETRY_FIRST_MS;
    for (;;) {
      try {
        const written = await write();
        this.problemsByToken.delete(lease.token);
        if (written) return 'written';
        return await this.store.state(lease).catch(() => 'lost' as const);
      } catch (err) {
        this.problemsByToken.set(lease.token, {
          reason: 'outcome_not_recorded',
          jobId: lease.job.id,
          message: redactText(
            `The outcome of job ${lease.job.id} could not be recorded: ${err instanceof Error ? err.message : String(err)}`,
          ),
        });
      }
      if (this.hardStop) return 'gave_up'; // shutting down: the lease expires and recovery retries the job
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, OUTCOME_RETRY_MAX_MS);
      const state = await this.store.state(lease).catch(() => 'ok' as const);
      if (state !== 'ok') {
        this.problemsByToken.delete(lease.token);
        return state;
      }
    }
  }

  private abort(attempt: Attempt, reason: AbortReason): void {
    if (!attempt.controller.signal.aborted) attempt.controller.abort(reason);
  }

  /** Stops an attempt only when the store says its lease is gone; an unknown state (store error) keeps it. */
  private stopIfGone(attempt: Attempt, state: LeaseState | undefined): void {
    if (state === 'canceled' || state === 'lost') this.abort(attempt, state);
  }

  private async checkCanceled(jobId: string): Promise<void> {
    for (const attempt of this.attempts.values()) {
      if (attempt.lease.job.id !== jobId || attempt.controller.signal.aborted) continue;
      this.stopIfGone(attempt, await this.store.state(attempt.lease).catch(() => undefined));
    }
  }

  // ---- heartbeat --------------------------------------------------------------------------------

  /** Why this consumer takes no new job now (ConsumeOptions.gate), or null; a throwing gate blocks. */
  private gateReason(): string | null {
    try {
      return this.options.gate?.() ?? null;
    } catch (err) {
      return `cannot tell whether to take new jobs: ${err instanceof Error ? err.message : String(err)}`;
    }
  }

  /** The heartbeat with this consumer's claim state, which every API's /readyz reads (JobQueue.workerStates). */
  private async beat(gateReason = this.gateReason()): Promise<void> {
    this.beatReason = gateReason;
    await this.store
      .workerBeat(this.workerId, gateReason === null ? null : redactText(gateReason))
      .catch(() => undefined);
  }

  private async heartbeat(): Promise<void> {
    if (this.closing && this.attempts.size === 0) return;
    await this.beat();
    await Promise.all(
      [...this.attempts.values()].map(async (attempt) => {
        // One renewal at a time per attempt: a slow store (paused, failing over) must not pile them up.
        const reason = attempt.controller.signal.reason as AbortReason | undefined;
        if (attempt.renewing || reason === 'canceled' || reason === 'lost') return;
        attempt.renewing = true;
        try {
          // A store error is transient: the next heartbeat tries again, within the lease.
          this.stopIfGone(attempt, await this.store.renew(attempt.lease, this.settings.leaseMs).catch(() => undefined));
        } finally {
          attempt.renewing = false;
        }
      }),
    );
    if (!this.closing) await this.store.recoverExpired(this.settings.maxAttempts).catch(() => undefined);
  }
}
