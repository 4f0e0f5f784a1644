// Consumes jobs through a BullMQ Worker. BullMQ holds the lease (job lock, renewed by itself) and
// recovers stalled jobs; the job record's lease_token is the BullMQ lock token, so a worker whose
// lock was lost can never write the record again. Cancels arrive over Redis pub/sub, and every
// heartbeat re-reads the record in case a message was missed.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import { DelayedError, Worker, type Job } from 'bullmq';
import { formatLogLine, type JobStage } from '../job.js';
import type { Consumer, ConsumeOptions, JobContext, JobHandler } from '../job-queue.js';
import { BULL_QUEUE_NAME, redisOptions, type RedisJobQueue } from './redis-job-queue.js';

export interface RedisConsumerSettings {
  leaseMs: number;
  heartbeatMs: number;
  maxAttempts: number;
}

const DEFAULTS: RedisConsumerSettings = { leaseMs: 30_000, heartbeatMs: 5_000, maxAttempts: 3 };

/** How long a job whose key is at its concurrent-job limit waits before it is offered again. */
const DEFER_MS = 500;

type AbortReason = 'canceled' | 'lost' | 'shutdown';

interface Running {
  controller: AbortController;
  token: string;
  done: Promise<void>;
}

export class RedisConsumer implements Consumer {
  readonly workerId: string;
  private readonly settings: RedisConsumerSettings;
  private readonly handler: JobHandler;
  private readonly onSettled: ((jobId: string) => void) | undefined;
  private readonly onCanceledOutcome: ConsumeOptions['onCanceledOutcome'];
  private readonly worker: Worker;
  private readonly connection: Redis;
  private readonly subscriber: Redis;
  private readonly runningJobs = new Map<string, Running>();
  private readonly closedListeners: (() => void)[] = [];
  private readonly heartbeatTimer: NodeJS.Timeout;
  private closing: Promise<void> | null = null;

  constructor(private readonly queue: RedisJobQueue, options: ConsumeOptions, defaults: Partial<RedisConsumerSettings>) {
    this.settings = { ...DEFAULTS, ...defaults };
    this.handler = options.handler;
    this.onSettled = options.onSettled;
    this.onCanceledOutcome = options.onCanceledOutcome;
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.connection = new Redis(queue.url, redisOptions());
    this.connection.on('error', () => { /* reconnects by itself */ });
    this.worker = new Worker(BULL_QUEUE_NAME, (job, token) => this.process(job, token ?? ''), {
      connection: this.connection,
      prefix: `${queue.prefix}bull`,
      concurrency: options.concurrency,
      lockDuration: this.settings.leaseMs,
      stalledInterval: this.settings.leaseMs,
      maxStalledCount: this.settings.maxAttempts - 1,
    });
    this.worker.on('error', () => { /* connection trouble: BullMQ reconnects by itself */ });
    this.worker.on('failed', (job, err) => {
      // BullMQ fails a job on its own only when it stalled too often: its workers kept dying.
      if (!job || !/stalled more than allowable limit/i.test(err.message)) return;
      const reason = `Job interrupted ${this.settings.maxAttempts} time(s): its worker stopped (crash or restart) and the attempt limit of ${this.settings.maxAttempts} is reached`;
      void queue.script('FAIL', job.id ?? '', '', new Date().toISOString(), reason, formatLogLine(`Job failed: ${reason}`), queue.ttl).catch(() => undefined);
    });
    this.worker.on('stalled', (jobId) => {
      void queue.appendLog(jobId, `Worker lost while running the job; retrying (at most ${this.settings.maxAttempts} attempts)`).catch(() => undefined);
    });
    this.subscriber = new Redis(queue.url, redisOptions());
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, jobId: string) => this.abortJob(jobId, 'canceled'));
    void this.subscriber.subscribe(`${queue.prefix}cancel`).catch(() => undefined);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.settings.heartbeatMs);
    this.heartbeatTimer.unref();
    void this.heartbeat();
  }

  get running(): number {
    return this.runningJobs.size;
  }

  onClosed(listener: () => void): void {
    this.closedListeners.push(listener);
  }

  close(graceMs = 0): Promise<void> {
    this.closing ??= (async () => {
      // Stop fetching; pause() can wait on the blocking fetch, so it is not awaited here. A job
      // fetched meanwhile is handled below like any other running job.
      const paused = this.worker.pause(true).catch(() => undefined);
      const pending = [...this.runningJobs.values()].map((r) => r.done);
      if (pending.length > 0) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all(pending), new Promise<void>((r) => { timer = setTimeout(r, graceMs); })]);
        clearTimeout(timer);
        for (const id of this.runningJobs.keys()) this.abortJob(id, 'shutdown');
        await Promise.all([...this.runningJobs.values()].map((r) => r.done));
      }
      clearInterval(this.heartbeatTimer);
      await this.worker.close(true).catch(() => undefined);
      void paused;
      this.connection.disconnect(); // BullMQ leaves a connection it was given open
      await this.queue.redis.zrem(`${this.queue.prefix}workers`, this.workerId).catch(() => undefined);
      this.subscriber.disconnect();
      for (const listener of this.closedListeners) listener();
    })();
    return this.closing;
  }

  private async process(bullJob: Job, token: string): Promise<void> {
    const id = (bullJob.data as { id: string }).id;
    const q = this.queue;
    if (this.closing) {
      // Fetched while shutting down: give it straight back, untouched, for another worker.
      await bullJob.moveToDelayed(Date.now() + 1000, token);
      throw new DelayedError();
    }
    const [claim] = await q.script<[string, string]>('CLAIM', id, token, new Date().toISOString(), '', q.ttl);
    if (claim === 'defer') {
      // Its key is at max_concurrent_jobs: back to the queue (same priority) while other keys' jobs run.
      await bullJob.moveToDelayed(Date.now() + DEFER_MS, token);
      throw new DelayedError();
    }
    if (claim !== 'claimed') return; // canceled while waiting, or gone: nothing to do
    const job = await q.get(id);
    if (!job) return;
    const controller = new AbortController();
    const lease = { id, token };
    const context: JobContext = {
      job,
      attempt: job.attempts,
      workerId: this.workerId,
      signal: controller.signal,
      progress: async (progress: number, stage?: JobStage, message?: string) => {
        if (controller.signal.aborted) return;
        const written = await q.script<number>('PROGRESS', id, token, Math.max(0, Math.min(100, Math.floor(progress))), stage ?? '', message ? formatLogLine(message) : '', q.ttl).catch(() => undefined);
        if (written === 0) this.abortJob(id, (await this.whyNotHeld(lease)) ?? 'lost');
      },
      log: async (message: string) => {
        await q.appendLog(id, message).catch(() => undefined);
      },
      setEstimatedCost: async (usd: number | null) => {
        await q.script('COST', id, token, JSON.stringify(usd)).catch(() => undefined);
      },
    };
    let release!: () => void;
    const done = new Promise<void>((r) => { release = r; });
    this.runningJobs.set(id, { controller, token, done });
    try {
      const outcome = await this.handler(context);
      let finished = 0;
      if (!controller.signal.aborted) {
        const started = job.started_at ? Date.parse(job.started_at) : Date.now();
        finished = await q.script<number>('FINISH', id, token, new Date().toISOString(), outcome.artifactUri, outcome.artifactKey,
          JSON.stringify(outcome.gcsUri), formatLogLine(`Video generation completed: ${outcome.gcsUri ?? outcome.artifactUri}`),
          q.ttl, (Date.now() - started) / 1000);
      }
      if (finished !== 1 && (controller.signal.reason === 'canceled' || (await this.whyNotHeld(lease)) === 'canceled')) {
        await this.onCanceledOutcome?.(id, outcome).catch(() => undefined);
      }
    } catch (err) {
      const reason = controller.signal.reason as AbortReason | undefined;
      if (reason === 'shutdown') {
        await q.script('REQUEUE', id, token, formatLogLine('Worker shutting down; job handed back to the queue'), 1, q.ttl).catch(() => undefined);
        await bullJob.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      if (reason === undefined) {
        const message = (err instanceof Error ? err.message : String(err)) || 'Job failed';
        await q.script('FAIL', id, token, new Date().toISOString(), message, formatLogLine(`Job failed: ${message}`), q.ttl).catch(() => undefined);
      }
      // canceled: the record already says so; lost: another worker owns the job now.
    } finally {
      this.runningJobs.delete(id);
      release();
      this.onSettled?.(id);
    }
  }

  private async whyNotHeld(lease: { id: string; token: string }): Promise<AbortReason | undefined> {
    const [status, token] = await this.queue.redis.hmget(`${this.queue.prefix}job:${lease.id}`, 'status', 'lease_token').catch(() => [null, null]);
    if (status === '"canceled"') return 'canceled';
    if (token !== JSON.stringify(lease.token)) return 'lost';
    return undefined;
  }

  private abortJob(jobId: string, reason: AbortReason): void {
    const running = this.runningJobs.get(jobId);
    if (running && !running.controller.signal.aborted) running.controller.abort(reason);
  }

  private async heartbeat(): Promise<void> {
    if (this.closing) return;
    await this.queue.redis.zadd(`${this.queue.prefix}workers`, Date.now(), this.workerId).catch(() => undefined);
    await this.queue.redis.zremrangebyscore(`${this.queue.prefix}workers`, '-inf', Date.now() - 10 * this.settings.heartbeatMs * 3).catch(() => undefined);
    for (const [id, running] of this.runningJobs) {
      if (running.controller.signal.aborted) continue;
      const why = await this.whyNotHeld({ id, token: running.token });
      if (why) this.abortJob(id, why);
    }
  }
}
