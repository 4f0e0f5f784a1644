// Leases on the Redis job store, all through the store's own Lua scripts: the submission puts a job in
// the ready set in the same script that stores it, a claim takes the first claimable one under a
// lease (lua/claim-1.lua), and the record's lease_token and lease_expires_at, renewed by the consumer
// loop, decide who may write. Idle workers block on the wake list, which every script that makes work
// claimable pushes a token to; a lost token only delays a claim until the next look. Jobs whose lease
// expired (their worker died) are found in the lease set on each heartbeat and retried, or failed at
// the attempt limit (recoverExpired).
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { formatLogLine } from '../job.js';
import type { JobOutcome } from '../job-queue.js';
import type { Lease, LeaseState, LeaseStore, ProgressWrite } from '../lease-store.js';
import { JOB_MESSAGES } from '../job-messages.js';
import type { SegmentRecord } from '../segment-records.js';
import { LEASED_STATUSES } from '../job-state.js';
import { QueueKeys } from './queue-keys.js';
import { JobScripts } from './redis-scripts.js';
import { parseRecord } from './redis-job-record.js';
import { RedisClock } from './redis-clock.js';
import { boundedWait, connectRedis, redisOptions, type RedisEndpoint } from '../../stores/redis-connection.js';

export interface RedisLeaseStoreOptions {
  endpoint: RedisEndpoint;
  keyPrefix: string;
  jobTtlSeconds: number;
  leaseMs: number;
  heartbeatMs: number;
  maxAttempts: number;
}

/** How long an idle worker blocks on the wake list before it looks for work again anyway. */
const WAKE_BLOCK_MS = 2000;
/** Expired leases recovered per heartbeat, at most (the rest on the next ones). */
const RECOVER_BATCH = 100;
/**
 * A recovery must run in Redis within this long of being sent (its deadline, in Redis's clock); one
 * that waited out a stall does nothing, so that the holders' own renewals, queued during the same
 * stall, are heard first (lua/recover-1.lua).
 */
const RECOVER_BUDGET_MS = 1000;

export class RedisLeaseStore implements LeaseStore {
  private readonly keys: QueueKeys;
  private readonly redis: Redis;
  private readonly scripts: JobScripts;
  /** Blocks on the wake list (BLPOP holds its connection). */
  private readonly waker: Redis;
  private readonly subscriber: Redis;
  private readonly clock: RedisClock;
  private readonly cancelListeners = new Set<(jobId: string) => void>();
  /** Whether this store's key layout is known to be current (lua/layout-1.lua ran once). */
  private adopted = false;
  /** The BLPOP in progress: one at a time, so that none pile up in the offline queue while Redis is away. */
  private blocking: Promise<unknown> | null = null;

  constructor(private readonly options: RedisLeaseStoreOptions) {
    this.keys = new QueueKeys(options.keyPrefix);
    this.redis = connectRedis(options.endpoint, boundedWait());
    this.redis.on('error', () => {
      /* reconnects by itself; callers retry */
    });
    this.scripts = new JobScripts(this.redis, this.keys.root, options.jobTtlSeconds);
    this.waker = connectRedis(options.endpoint, redisOptions());
    this.waker.on('error', () => {
      /* reconnects by itself; idle() also ends on its own timer */
    });
    this.subscriber = connectRedis(options.endpoint, redisOptions());
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, jobId: string) => {
      for (const l of this.cancelListeners) l(jobId);
    });
    void this.subscriber.subscribe(this.keys.cancelChannel).catch(() => undefined);
    // Last: ioredis's auto-pipeline only knows commands defined before it (the scripts above).
    this.clock = new RedisClock(this.redis);
  }

  async claim(_workerId: string, leaseMs: number, signal: AbortSignal): Promise<Lease | null> {
    if (signal.aborted) return null;
    if (!this.adopted) {
      await this.scripts.layout();
      this.adopted = true;
    }
    const token = randomUUID();
    const values = await this.scripts.claim({ token, now: new Date().toISOString(), leaseMs });
    const job = values ? parseRecord(values) : null;
    return job ? { job, token } : null;
  }

  /** Waits for a wake-up token (new work, a freed slot), at most WAKE_BLOCK_MS, or until `signal` aborts. */
  async idle(_ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    this.blocking ??= this.waker
      .blpop(this.keys.wake, WAKE_BLOCK_MS / 1000)
      .catch(() => undefined)
      .finally(() => {
        this.blocking = null;
      });
    await Promise.race([
      this.blocking,
      // Bounded on this side too: a connection that is reconnecting holds its BLPOP until it is back.
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, WAKE_BLOCK_MS + 1000);
        onAbort = resolve;
        signal.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }

  async renew(lease: Lease, leaseMs: number): Promise<LeaseState> {
    return this.scripts.renew({ id: lease.job.id, token: lease.token, leaseMs });
  }

  async state(lease: Lease): Promise<LeaseState> {
    const [status, token] = await this.redis.hmget(this.keys.job(lease.job.id), 'status', 'lease_token');
    if (status === '"canceled"') return 'canceled';
    const leased = typeof status === 'string' && (LEASED_STATUSES as string[]).includes(JSON.parse(status) as string);
    return leased && token === JSON.stringify(lease.token) ? 'ok' : 'lost';
  }

  progress(lease: Lease, write: ProgressWrite): Promise<boolean> {
    return this.scripts.progress({
      id: lease.job.id,
      token: lease.token,
      progress: write.progress,
      stage: write.stage ?? null,
      logLine: write.message ? formatLogLine(write.message) : null,
    });
  }

  cost(lease: Lease, usd: number | null): Promise<boolean> {
    return this.scripts.cost({ id: lease.job.id, token: lease.token, usd });
  }

  recordSegment(lease: Lease, record: SegmentRecord): Promise<boolean> {
    return this.scripts.recordSegment({
      id: lease.job.id,
      token: lease.token,
      segment: record.segment,
      recordJson: JSON.stringify(record),
    });
  }

  async log(jobId: string, message: string): Promise<void> {
    await this.scripts.appendLog({ id: jobId, logLine: formatLogLine(message) });
  }

  finish(lease: Lease, outcome: JobOutcome, message: string): Promise<boolean> {
    const started = lease.job.started_at ? Date.parse(lease.job.started_at) : Date.now();
    return this.scripts.finish({
      id: lease.job.id,
      token: lease.token,
      now: new Date().toISOString(),
      artifactUri: outcome.artifactUri,
      artifactKey: outcome.artifactKey,
      gcsUri: outcome.gcsUri,
      logLine: formatLogLine(message),
      durationSeconds: (Date.now() - started) / 1000,
    });
  }

  fail(lease: Lease, error: string, message: string): Promise<boolean> {
    return this.scripts.fail({
      id: lease.job.id,
      token: lease.token,
      now: new Date().toISOString(),
      error,
      logLine: formatLogLine(message),
    });
  }

  handBack(lease: Lease, message: string, refundAttempt: boolean): Promise<boolean> {
    return this.scripts.requeue({
      id: lease.job.id,
      token: lease.token,
      logLine: formatLogLine(message),
      refundAttempt,
    });
  }

  async release(): Promise<void> {
    // Nothing is kept per attempt: the record and the lease set are the whole state.
  }

  onCancel(listener: (jobId: string) => void): () => void {
    this.cancelListeners.add(listener);
    return () => this.cancelListeners.delete(listener);
  }

  /** On each heartbeat: jobs whose lease expired go back to the queue, or fail at the attempt limit. */
  async recoverExpired(maxAttempts: number): Promise<void> {
    for (const lease of await this.scripts.expired(RECOVER_BATCH)) {
      const lastAttempt = lease.attempts >= maxAttempts;
      const reason = JOB_MESSAGES.interrupted(lease.attempts, maxAttempts);
      await this.scripts.recover({
        lease,
        deadlineMs: await this.clock.deadline(RECOVER_BUDGET_MS),
        now: new Date().toISOString(),
        mode: lastAttempt ? 'fail' : 'requeue',
        error: lastAttempt ? reason : '',
        logLine: formatLogLine(
          lastAttempt ? JOB_MESSAGES.failed(reason) : JOB_MESSAGES.workerLost(lease.attempts, maxAttempts),
        ),
      });
    }
  }

  async workerBeat(workerId: string, blockedReason: string | null): Promise<void> {
    const now = Date.now();
    // One MULTI, so a reader never sees the new heartbeat with the previous claim state.
    const beat = this.redis.multi().zadd(this.keys.workers, now, workerId);
    if (blockedReason === null) beat.hdel(this.keys.workersBlocked, workerId);
    else beat.hset(this.keys.workersBlocked, workerId, blockedReason);
    await beat.exec();
    // Workers that stopped beating long ago (killed): dropped with their claim state.
    const cutoff = now - 30 * this.options.heartbeatMs;
    const stale = await this.redis.zrangebyscore(this.keys.workers, '-inf', cutoff);
    if (stale.length > 0)
      await this.redis
        .multi()
        .zrem(this.keys.workers, ...stale)
        .hdel(this.keys.workersBlocked, ...stale)
        .exec();
  }

  async workerGone(workerId: string): Promise<void> {
    await this.redis.multi().zrem(this.keys.workers, workerId).hdel(this.keys.workersBlocked, workerId).exec();
  }

  async close(): Promise<void> {
    this.clock.close();
    this.waker.disconnect(); // ends a BLPOP in progress
    this.subscriber.disconnect();
    this.redis.disconnect();
  }
}
