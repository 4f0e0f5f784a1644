// Leases on the Redis job store. BullMQ delivers jobs (fetched by hand, so that the consumer loop
// decides when to claim) and notices dead workers (its stalled checker re-delivers a job whose lock
// expired); the job record is the authority: its lease_token and lease_expires_at, renewed by the
// runner, decide who may write. A re-delivered job whose record lease is still alive is put back for
// later instead of being run twice; one whose lease expired is recovered here (retried, or failed at
// the attempt limit, counted in the record's own attempts).
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { Worker, type Job } from 'bullmq';
import { formatLogLine } from '../job.js';
import type { JobOutcome } from '../job-queue.js';
import type { Lease, LeaseState, LeaseStore, ProgressWrite } from '../lease-store.js';
import { JOB_MESSAGES } from '../job-messages.js';
import type { SegmentRecord } from '../segment-records.js';
import { LEASED_STATUSES } from '../job-state.js';
import { QueueKeys } from './queue-keys.js';
import { JobScripts } from './redis-scripts.js';
import { RECORD_FIELDS, parseRecord } from './redis-job-record.js';
import { BULL_QUEUE_NAME, boundedWait, connectRedis, redisOptions, type RedisEndpoint } from '../../stores/redis-connection.js';

export interface RedisLeaseStoreOptions {
  endpoint: RedisEndpoint;
  keyPrefix: string;
  jobTtlSeconds: number;
  leaseMs: number;
  heartbeatMs: number;
  maxAttempts: number;
}

/** How long a job whose key is at its concurrent-job limit waits before it is offered again. */
const DEFER_MS = 500;
/** Seconds a blocking fetch waits for work before the runner looks again. */
const FETCH_BLOCK_SECONDS = 2;

export class RedisLeaseStore implements LeaseStore {
  private readonly keys: QueueKeys;
  private readonly redis: Redis;
  private readonly scripts: JobScripts;
  private readonly bullConnection: Redis;
  private readonly worker: Worker;
  private readonly subscriber: Redis;
  /** BullMQ's entry of each running attempt, by lease token. */
  private readonly delivered = new Map<string, { bullJob: Job; handedBack: boolean }>();
  private readonly cancelListeners = new Set<(jobId: string) => void>();

  constructor(private readonly options: RedisLeaseStoreOptions) {
    this.keys = new QueueKeys(options.keyPrefix);
    this.redis = connectRedis(options.endpoint, boundedWait());
    this.redis.on('error', () => { /* reconnects by itself; callers retry */ });
    this.scripts = new JobScripts(this.redis, this.keys.root, options.jobTtlSeconds);
    this.bullConnection = connectRedis(options.endpoint, redisOptions());
    this.bullConnection.on('error', () => { /* reconnects by itself */ });
    this.worker = new Worker(BULL_QUEUE_NAME, undefined, {
      connection: this.bullConnection,
      prefix: this.keys.bull,
      autorun: false,
      lockDuration: options.leaseMs,
      stalledInterval: options.leaseMs,
      // BullMQ only re-delivers; the attempt limit is counted in the record (claim below).
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      drainDelay: FETCH_BLOCK_SECONDS,
    });
    this.worker.on('error', () => { /* connection trouble: BullMQ reconnects by itself */ });
    void this.worker.startStalledCheckTimer().catch(() => undefined);
    this.subscriber = connectRedis(options.endpoint, redisOptions());
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel: string, jobId: string) => { for (const l of this.cancelListeners) l(jobId); });
    void this.subscriber.subscribe(this.keys.cancelChannel).catch(() => undefined);
  }

  async claim(_workerId: string, leaseMs: number, signal: AbortSignal): Promise<Lease | null> {
    if (signal.aborted) return null;
    const token = randomUUID();
    const bullJob = await this.worker.getNextJob(token, { block: true });
    if (!bullJob) return null;
    if (signal.aborted) {
      // Fetched while shutting down: give it straight back, untouched, for another worker.
      await bullJob.moveToDelayed(Date.now() + 1000, token).catch(() => undefined);
      return null;
    }
    const id = (bullJob.data as { id: string }).id;
    for (;;) {
      const reply = await this.scripts.claim({ id, token, now: new Date().toISOString(), leaseMs });
      if (reply.outcome === 'claimed') {
        const job = parseRecord(await this.redis.hmget(this.keys.job(id), ...RECORD_FIELDS));
        if (!job) break;
        this.delivered.set(token, { bullJob, handedBack: false });
        return { job, token };
      }
      if (reply.outcome === 'defer') {
        // Its key is at max_concurrent_jobs: back to the queue (same priority) while other keys' jobs run.
        await bullJob.moveToDelayed(Date.now() + DEFER_MS, token);
        return null;
      }
      if (reply.outcome !== 'held') break; // canceled while waiting, finished, or gone: nothing to run
      if (!reply.expired) {
        // BullMQ re-delivered a job whose attempt still holds the record (its lock lapsed, e.g. while
        // Redis was paused): look again later, never run it twice at once.
        await bullJob.moveToDelayed(Date.now() + Math.max(DEFER_MS, Math.floor(leaseMs / 2)), token);
        return null;
      }
      const holder = { id, token: reply.holderToken };
      if (reply.attempts >= this.options.maxAttempts) {
        const reason = JOB_MESSAGES.interrupted(reply.attempts, this.options.maxAttempts);
        await this.scripts.fail({ ...holder, now: new Date().toISOString(), error: reason, logLine: formatLogLine(JOB_MESSAGES.failed(reason)) });
        break;
      }
      // The holder's worker died: back to queued, then claimed by this attempt on the next pass.
      const logLine = formatLogLine(JOB_MESSAGES.workerLost(reply.attempts, this.options.maxAttempts));
      if (!(await this.scripts.requeue({ ...holder, logLine, refundAttempt: false }))) break;
    }
    await bullJob.moveToCompleted(null, token, false).catch(() => undefined);
    return null;
  }

  async idle(): Promise<void> {
    // claim() already blocks on BullMQ's fetch while there is no work.
  }

  async renew(lease: Lease, leaseMs: number): Promise<LeaseState> {
    const state = await this.scripts.renew({ id: lease.job.id, token: lease.token, leaseMs });
    // BullMQ's lock only keeps it from re-delivering needlessly; the record decides.
    if (state === 'ok') await this.delivered.get(lease.token)?.bullJob.extendLock(lease.token, leaseMs).catch(() => 0);
    return state;
  }

  async state(lease: Lease): Promise<LeaseState> {
    const [status, token] = await this.redis.hmget(this.keys.job(lease.job.id), 'status', 'lease_token');
    if (status === '"canceled"') return 'canceled';
    const leased = typeof status === 'string' && (LEASED_STATUSES as string[]).includes(JSON.parse(status) as string);
    return leased && token === JSON.stringify(lease.token) ? 'ok' : 'lost';
  }

  progress(lease: Lease, write: ProgressWrite): Promise<boolean> {
    return this.scripts.progress({
      id: lease.job.id, token: lease.token, progress: write.progress, stage: write.stage ?? null,
      logLine: write.message ? formatLogLine(write.message) : null,
    });
  }

  cost(lease: Lease, usd: number | null): Promise<boolean> {
    return this.scripts.cost({ id: lease.job.id, token: lease.token, usd });
  }

  recordSegment(lease: Lease, record: SegmentRecord): Promise<boolean> {
    return this.scripts.recordSegment({ id: lease.job.id, token: lease.token, segment: record.segment, recordJson: JSON.stringify(record) });
  }

  async log(jobId: string, message: string): Promise<void> {
    await this.scripts.appendLog({ id: jobId, logLine: formatLogLine(message) });
  }

  finish(lease: Lease, outcome: JobOutcome, message: string): Promise<boolean> {
    const started = lease.job.started_at ? Date.parse(lease.job.started_at) : Date.now();
    return this.scripts.finish({
      id: lease.job.id, token: lease.token, now: new Date().toISOString(), artifactUri: outcome.artifactUri,
      artifactKey: outcome.artifactKey, gcsUri: outcome.gcsUri, logLine: formatLogLine(message), durationSeconds: (Date.now() - started) / 1000,
    });
  }

  fail(lease: Lease, error: string, message: string): Promise<boolean> {
    return this.scripts.fail({ id: lease.job.id, token: lease.token, now: new Date().toISOString(), error, logLine: formatLogLine(message) });
  }

  async handBack(lease: Lease, message: string, refundAttempt: boolean): Promise<boolean> {
    const written = await this.scripts.requeue({ id: lease.job.id, token: lease.token, logLine: formatLogLine(message), refundAttempt });
    const entry = this.delivered.get(lease.token);
    if (written && entry) entry.handedBack = true;
    return written;
  }

  /** The attempt is over: its BullMQ entry is done (or, handed back, waits for the next worker). */
  async release(lease: Lease): Promise<void> {
    const entry = this.delivered.get(lease.token);
    if (!entry) return;
    this.delivered.delete(lease.token);
    // Fails harmlessly when BullMQ gave the entry to another delivery meanwhile (its lock is not ours).
    if (entry.handedBack) await entry.bullJob.moveToDelayed(Date.now(), lease.token).catch(() => undefined);
    else await entry.bullJob.moveToCompleted(null, lease.token, false).catch(() => undefined);
  }

  onCancel(listener: (jobId: string) => void): () => void {
    this.cancelListeners.add(listener);
    return () => this.cancelListeners.delete(listener);
  }

  async recoverExpired(): Promise<void> {
    // Done at claim time: BullMQ re-delivers the job of a dead worker, claim() recovers it.
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
    if (stale.length > 0) await this.redis.multi().zrem(this.keys.workers, ...stale).hdel(this.keys.workersBlocked, ...stale).exec();
  }

  async workerGone(workerId: string): Promise<void> {
    await this.redis.multi().zrem(this.keys.workers, workerId).hdel(this.keys.workersBlocked, workerId).exec();
  }

  async close(): Promise<void> {
    await this.worker.close(true).catch(() => undefined);
    this.bullConnection.disconnect(); // BullMQ leaves a connection it was given open
    this.subscriber.disconnect();
    this.redis.disconnect();
  }
}
