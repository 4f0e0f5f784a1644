// Scaled JobStore/Queue adapter: job records, indexes, logs, the ready and lease sets and the event
// journal in Redis, every state change one Lua script (a submission stores the record and makes it
// claimable in the same step), and Redis pub/sub for cancel and journal signals that reach every
// process. Consumption is the shared consumer loop over RedisLeaseStore (redis-lease-store.ts);
// every process watches the data-loss marker (redis-store-marker.ts).
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { StoreUnavailableError } from '../../errors/store-unavailable-error.js';
import { InvalidCursorError } from '../../errors/invalid-cursor-error.js';
import { QueueFullError } from '../../errors/queue-full-error.js';
import { BudgetExceededError } from '../../errors/budget-exceeded-error.js';
import {
  formatLogLine,
  JOB_STATUSES,
  MAX_LOG_LINES,
  TERMINAL_STATUSES,
  scopedIdempotencyKey,
  type JobRecord,
  type JobRequest,
} from '../job.js';
import { requestHash } from '../request-hash.js';
import { TerminalRecordCache } from '../terminal-record-cache.js';
import { queueStats } from '../queue-stats.js';
import { JobQueueBase } from '../job-queue-base.js';
import type {
  CancelResult,
  RemoveResult,
  ConsumeOptions,
  StoreWarning,
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
import { ConsumerLoop, CONSUMER_LOOP_DEFAULTS, type ConsumerLoopSettings } from '../consumer-loop.js';
import { JOB_MESSAGES } from '../job-messages.js';
import { decodeListCursor, encodeListCursor } from '../list-cursor.js';
import { QueueKeys } from './queue-keys.js';
import { JobScripts, type SubmitReply } from './redis-scripts.js';
import { RECORD_FIELDS, parseRecord } from './redis-job-record.js';
import {
  REQUEST_COMMAND_TIMEOUT_MS,
  connectRedis,
  failFast,
  redisOptions,
  type RedisEndpoint,
} from '../../stores/redis-connection.js';
import { RedisClock } from './redis-clock.js';
import { RedisLeaseStore } from './redis-lease-store.js';
import { RedisJournal } from './redis-journal.js';
import { RedisStoreMarker } from './redis-store-marker.js';
import { parseSegmentRecord, type SegmentRecord } from '../segment-records.js';

export interface RedisJobQueueOptions {
  /** redis://[:password@]host:port/db (when no endpoint is given) */
  url?: string;
  /** A Cluster, Sentinel or single server; wins over url. */
  endpoint?: RedisEndpoint;
  keyPrefix: string;
  /** Seconds a job record and its logs live after their last write (0 = forever). */
  jobTtlSeconds: number;
  consumer?: Partial<ConsumerLoopSettings>;
  /** Where this host remembers the Redis instance it saw (redis-store-marker.ts); null = this process only. */
  markerMemoryFile?: string | null;
  /** For what the adapter notices by itself: lost data (error). */
  logger?: RedisQueueLogger;
  /** Replicas that must hold a submission before it is accepted (Redis WAIT); none when absent. */
  replicaAcks?: { count: number; timeoutMs: number };
}

export interface RedisQueueLogger {
  error(obj: object, msg: string): void;
}

/**
 * A submission must have run in Redis this long before the API stops waiting for its answer: the rest
 * of the request timeout is left for the answer to travel back (lua/submit-1.lua, redis-clock.ts).
 */
export const SUBMIT_BUDGET_MS = REQUEST_COMMAND_TIMEOUT_MS - 250;

/** How often every process re-reads the data-loss marker (the /readyz check reads it as well). */
const MARKER_CHECK_MS = 10_000;

export class RedisJobQueue extends JobQueueBase implements JobQueue {
  readonly kind = 'redis' as const;
  private readonly keys: QueueKeys;
  /** Commands for records and indexes. Its own connection fails fast so that the API can answer 503. */
  private readonly redis: Redis;
  private readonly scripts: JobScripts;
  /**
   * Where submissions go when they must reach replicas (WAIT blocks its connection, so not the shared
   * one): a connection of their own, else `redis`. A discard follows its submission on the same one.
   */
  private readonly submitter: { redis: Redis; scripts: JobScripts };
  private readonly consumerDefaults: Partial<ConsumerLoopSettings>;
  private readonly consumers = new Set<ConsumerLoop>();
  private closed = false;
  private readonly terminalCache = new TerminalRecordCache();
  /** In-process hints for watch(). */
  private eventSubscriber: Redis | null = null;
  protected readonly globalJournal: RedisJournal;
  private readonly marker: RedisStoreMarker;
  private readonly markerTimer: NodeJS.Timeout;
  private readonly clock: RedisClock;

  private readonly endpoint: RedisEndpoint;

  constructor(private readonly options: RedisJobQueueOptions) {
    super();
    this.endpoint = options.endpoint ?? { kind: 'standalone', url: options.url ?? 'redis://127.0.0.1:6379/0' };
    this.keys = new QueueKeys(options.keyPrefix);
    this.consumerDefaults = options.consumer ?? {};
    this.redis = connectRedis(this.endpoint, failFast());
    this.redis.on('error', () => {
      /* reconnects by itself; callers see StoreUnavailableError */
    });
    this.scripts = new JobScripts(this.redis, this.keys.root, options.jobTtlSeconds);
    this.globalJournal = new RedisJournal(this.redis, this.keys, (fn) => this.guard(fn));
    if (options.replicaAcks && options.replicaAcks.count > 0) {
      const redis = connectRedis(this.endpoint, failFast());
      redis.on('error', () => {
        /* reconnects by itself */
      });
      this.submitter = { redis, scripts: new JobScripts(redis, this.keys.root, options.jobTtlSeconds) };
    } else {
      this.submitter = { redis: this.redis, scripts: this.scripts };
    }
    this.marker = new RedisStoreMarker({
      redis: this.redis,
      key: this.keys.meta,
      storeId: `${storeAddress(this.endpoint)} ${options.keyPrefix}`,
      memoryFile: options.markerMemoryFile ?? null,
      onDataLost: (warning, previousInstanceId) =>
        options.logger?.error({ reason: warning.reason, since: warning.since, previousInstanceId }, warning.message),
    });
    const checkMarker = () => void this.marker.check().catch(() => undefined); // Redis down: ping/readiness report it
    checkMarker();
    this.markerTimer = setInterval(checkMarker, MARKER_CHECK_MS);
    this.markerTimer.unref();
    // Last: its first TIME goes out now, and ioredis's auto-pipeline only knows commands defined before it.
    this.clock = new RedisClock(this.redis);
  }

  /** Problems with the store's own data: a Redis that lost what ttv stored in it. */
  async storeWarnings(): Promise<StoreWarning[]> {
    const warning = await this.guard(() => this.marker.check());
    return warning ? [warning] : [];
  }

  /**
   * One script stores the job and makes it claimable (lua/submit-1.lua): there is no second write a
   * crash could separate from it. A submission answered 503 must not run. With Redis stalled (paused,
   * swapping, a long script), a command the API gave up on stays in the socket and Redis runs it when
   * it resumes; had it stored the job, a worker would run it and a client told "503, no job" would be
   * billed for a job it then submits again. Two guards, both without an extra round trip on the
   * request path:
   * - the script carries a deadline in Redis's own clock (the API's clock offset to Redis is measured
   *   off the request path: redis-clock.ts) and does nothing when it runs past it. The deadline is
   *   SUBMIT_BUDGET_MS after sending, earlier than the API's own timeout, so a script that runs in
   *   time has the rest of the timeout for its answer to come back;
   * - when the API does stop waiting (an answer lost or late all the same: Redis stopped between
   *   running the script and writing its answer), it sends a discard of the new id behind the
   *   submit, on the same connection, so it runs right after it: a job stored that late is removed
   *   while still queued. A worker's claim that reaches Redis between the two (only possible when
   *   Redis stopped in the microseconds between running the script and answering it) runs the job:
   *   docs/design-notes.md, "One queue mechanism on Redis".
   * A "pending until acknowledged" record would need a second write on every submission and has the
   * same problem with its acknowledgement; a deadline with skew margin on the API's wall clock alone
   * would let a stalled submission run for as long as the margin. See docs/design-notes.md.
   */
  async submit(request: JobRequest, options: SubmitOptions = {}): Promise<SubmitResult> {
    const id = randomUUID();
    const deadlineMs = await this.guard(() => this.clock.deadline(SUBMIT_BUDGET_MS));
    let reply: SubmitReply;
    try {
      reply = await this.guard(() =>
        this.submitter.scripts.submit({
          id,
          prompt: request.prompt,
          requestJson: JSON.stringify(request),
          createdAt: new Date().toISOString(),
          estimatedCostUsd: options.estimatedCostUsd ?? null,
          idempotencyKey:
            options.idempotencyKey === undefined ? null : scopedIdempotencyKey(options.idempotencyKey, options.owner),
          requestHash: requestHash(request),
          logLine: formatLogLine(JOB_MESSAGES.queued),
          owner: options.owner ?? null,
          maxQueued: options.maxQueued ?? null,
          maxQueuedForOwner: options.maxQueuedForOwner ?? null,
          budgetLimitUsd: options.budget?.limitUsd ?? null,
          deadlineMs,
        }),
      );
    } catch (err) {
      if (err instanceof StoreUnavailableError) void this.submitter.scripts.discard(id).catch(() => undefined);
      throw err;
    }
    if (reply.outcome === 'expired') {
      throw new StoreUnavailableError(
        `Job store too slow: Redis ran the submission ${reply.lateMs} ms past its deadline, so it was not stored`,
      );
    }
    if (reply.outcome === 'queue_full') {
      throw new QueueFullError(
        reply.scope,
        reply.queued,
        (reply.scope === 'global' ? options.maxQueued : options.maxQueuedForOwner) ?? 0,
      );
    }
    if (reply.outcome === 'over_budget') {
      throw new BudgetExceededError(reply.spentUsd, options.estimatedCostUsd ?? 0, options.budget?.limitUsd ?? 0);
    }
    if (reply.outcome === 'created') {
      try {
        await this.awaitReplicas();
      } catch (err) {
        // Not held by enough replicas: the client gets 503, so the job goes (unless a worker took it already).
        await this.submitter.scripts.discard(id).catch(() => undefined);
        throw err instanceof StoreUnavailableError
          ? err
          : new StoreUnavailableError('Job store not replicated', { cause: err });
      }
      // The script returned the record it wrote, as of the submission: no read of our own.
      const created = parseRecord(reply.record);
      if (!created) throw new StoreUnavailableError('Job record missing from the submit reply');
      created.queue_position = reply.rank + 1;
      return { outcome: reply.outcome, job: created };
    }
    const job = await this.get(reply.id);
    if (!job) throw new StoreUnavailableError('Job record vanished after submit');
    return { outcome: reply.outcome, job };
  }

  /**
   * With a Sentinel-managed master, a write the master acknowledged may still be lost in a failover
   * (replication is asynchronous): the submission is accepted only once enough replicas hold it. WAIT
   * on the connection that ran the submit script covers everything that script wrote.
   */
  private async awaitReplicas(): Promise<void> {
    const want = this.options.replicaAcks;
    if (!want || want.count < 1) return;
    // Only replicas that are there: after a failover the new master may have none left, and then
    // there is nothing to wait for (refusing every submission would not make one safer).
    const count = Math.min(want.count, await this.connectedReplicas());
    if (count < 1) return;
    const acked = await this.guard(() => this.submitter.redis.wait(count, want.timeoutMs));
    if (acked < count) throw new StoreUnavailableError(`Job store not replicated (${acked} of ${count} replicas)`);
  }

  private replicaCount: { value: number; at: number } | null = null;
  /** The master's connected replicas (INFO replication), read at most once a second. */
  private async connectedReplicas(): Promise<number> {
    if (this.replicaCount && Date.now() - this.replicaCount.at < 1000) return this.replicaCount.value;
    const info = await this.guard(() => this.submitter.redis.info('replication'));
    const value = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
    this.replicaCount = { value, at: Date.now() };
    return value;
  }

  async get(id: string, rankQueued = true): Promise<JobRecord | null> {
    const cached = this.terminalCache.get(id);
    if (cached) return cached;
    return this.guard(async () => {
      const record = parseRecord(await this.redis.hmget(this.keys.job(id), ...RECORD_FIELDS));
      if (!record) return null;
      if (record.status === 'queued' && rankQueued) {
        const rank = await this.redis.zrank(this.keys.status('queued'), id);
        record.queue_position = rank === null ? null : rank + 1;
      }
      return this.terminalCache.remember(record);
    });
  }

  async list(options: ListOptions): Promise<ListResult> {
    let max = '+inf';
    if (options.cursor !== undefined) max = `(${decodeListCursor(options.cursor)}`;
    if (options.owner !== undefined) return this.listOwned(options, max);
    const index = options.status ? this.keys.status(options.status) : this.keys.jobs;
    // One range read with the scores (the next cursor is the last one's), then the records in one round trip.
    const range = await this.guard(() =>
      this.redis.zrevrangebyscore(index, max, '-inf', 'WITHSCORES', 'LIMIT', 0, options.limit + 1),
    );
    const ids: string[] = [];
    const scores: string[] = [];
    for (let i = 0; i + 1 < range.length; i += 2) {
      ids.push(range[i]!);
      scores.push(range[i + 1]!);
    }
    const page = ids.slice(0, options.limit);
    const jobs = (await this.records(page)).filter((j): j is JobRecord => j !== null);
    // The page's queued jobs are consecutive in the queued index: one ZRANK for the oldest gives all.
    const queued = jobs.filter((j) => j.status === 'queued').reverse();
    if (queued.length > 0) {
      const rank = await this.guard(() => this.redis.zrank(this.keys.status('queued'), queued[0]!.id));
      if (rank !== null)
        queued.forEach((job, i) => {
          job.queue_position = rank + 1 + i;
        });
    }
    const lastScore = scores[page.length - 1];
    const nextCursor = ids.length > options.limit && lastScore ? encodeListCursor(lastScore) : null;
    return { jobs, nextCursor };
  }

  /** Records by id (null where none), without queue positions: the cached terminal ones from memory, the rest in one pipeline. */
  private async records(ids: string[]): Promise<(JobRecord | null)[]> {
    const found: (JobRecord | null | undefined)[] = ids.map((id) => this.terminalCache.get(id));
    const missing = ids.filter((_, i) => found[i] === undefined);
    if (missing.length === 0) return found as (JobRecord | null)[];
    const replies = await this.guard(async () => {
      const pipeline = this.redis.pipeline();
      for (const id of missing) pipeline.hmget(this.keys.job(id), ...RECORD_FIELDS);
      const results = (await pipeline.exec()) ?? [];
      return results.map(([err, values]) => {
        if (err) throw err;
        return values as (string | null)[];
      });
    });
    let next = 0;
    return found.map((record) => {
      if (record !== undefined) return record;
      const parsed = parseRecord(replies[next++] ?? []);
      return parsed ? this.terminalCache.remember(parsed) : null;
    });
  }

  /** One owner's jobs, newest first, from the owner's index (a status filter is applied while walking it). */
  private async listOwned(options: ListOptions, max: string): Promise<ListResult> {
    const owner = options.owner!;
    const index = options.status ? this.keys.ownerStatus(owner, options.status) : this.keys.ownerJobs(owner);
    const jobs: JobRecord[] = [];
    let upper = max;
    let more = true;
    while (jobs.length <= options.limit && more) {
      const batch = await this.guard(() =>
        this.redis.zrevrangebyscore(index, upper, '-inf', 'WITHSCORES', 'LIMIT', 0, 200),
      );
      more = batch.length === 400;
      for (let i = 0; i + 1 < batch.length && jobs.length <= options.limit; i += 2) {
        upper = `(${batch[i + 1]}`;
        const job = await this.get(batch[i]!);
        if (job && (!options.status || job.status === options.status)) jobs.push(job);
      }
    }
    const page = jobs.slice(0, options.limit);
    const last = page[page.length - 1];
    const lastScore = last ? await this.guard(() => this.redis.zscore(index, last.id)) : null;
    const nextCursor = jobs.length > options.limit && lastScore ? encodeListCursor(lastScore) : null;
    return { jobs: page, nextCursor };
  }

  async logs(id: string, tail: number): Promise<string[] | null> {
    return this.guard(async () => {
      const exists = await this.redis.exists(this.keys.job(id));
      if (!exists) return null;
      const count = tail > 0 ? Math.min(tail, MAX_LOG_LINES) : MAX_LOG_LINES;
      return this.redis.lrange(this.keys.logs(id), -count, -1);
    });
  }

  async appendLog(id: string, message: string): Promise<void> {
    await this.guard(() => this.scripts.appendLog({ id, logLine: formatLogLine(message) }));
  }

  async events(id: string, after: string | null, limit = 500): Promise<JobEvent[] | null> {
    if (after !== null && !/^\d{1,15}-\d{1,10}$/.test(after)) throw new InvalidCursorError();
    return this.guard(async () => {
      if (!(await this.redis.exists(this.keys.job(id)))) return null;
      const entries = await this.redis.xrange(
        this.keys.events(id),
        after === null ? '-' : `(${after}`,
        '+',
        'COUNT',
        limit,
      );
      return entries.map(([entryId, fields]) => {
        const map = new Map<string, string>();
        for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
        return {
          id: entryId,
          type: map.get('type') as JobEvent['type'],
          data: JSON.parse(map.get('data') ?? '{}') as Record<string, unknown>,
        };
      });
    });
  }

  /**
   * Every journal write publishes the job id on the events channel (lua/common.lua); one subscriber
   * connection per process, opened with the first watcher, fans it out to the watchers of that job.
   */
  protected startWatching(): void {
    this.eventSubscriber ??= this.subscribeToEvents();
  }

  private subscribeToEvents(): Redis {
    const subscriber = connectRedis(this.endpoint, redisOptions());
    subscriber.on('error', () => {
      /* reconnects and resubscribes by itself; streams also re-read at heartbeats */
    });
    subscriber.on('message', (_channel: string, jobId: string) => this.watchers.notify(jobId));
    // Writes made before the subscription took (or while it was down) were not heard: every watcher re-reads.
    const wakeAll = () => this.watchers.notifyAll();
    subscriber.on('ready', () => setImmediate(wakeAll));
    void subscriber.subscribe(this.keys.eventsChannel).then(wakeAll, () => undefined);
    return subscriber;
  }

  async cancel(id: string): Promise<CancelResult> {
    const { outcome } = await this.guard(() =>
      this.scripts.cancel({ id, now: new Date().toISOString(), logLine: formatLogLine(JOB_MESSAGES.cancelRequested) }),
    );
    if (outcome === 'not_found') return { outcome: 'not_found' };
    const job = await this.get(id);
    if (!job) return { outcome: 'not_found' };
    if (outcome === 'terminal') return { outcome: 'terminal', job };
    // A queued job left the ready set in the cancel script; a running one's worker hears it here.
    await this.guard(() => this.redis.publish(this.keys.cancelChannel, id));
    this.watchers.notify(id);
    return { outcome: 'canceled', job };
  }

  async segmentRecords(jobId: string): Promise<SegmentRecord[]> {
    const all = await this.guard(() => this.redis.hgetall(this.keys.segments(jobId)));
    return Object.values(all)
      .flatMap((text) => parseSegmentRecord(text) ?? [])
      .sort((a, b) => a.segment - b.segment);
  }

  async remove(id: string): Promise<RemoveResult> {
    const job = await this.get(id);
    if (!job) return { outcome: 'not_found' };
    const outcome = await this.guard(() => this.scripts.remove(id));
    if (outcome === 'not_found') return { outcome: 'not_found' };
    if (outcome === 'not_terminal') return { outcome: 'not_terminal', job };
    this.terminalCache.forget(id);
    return { outcome: 'removed', job };
  }

  async expiredJobs(before: Date, limit: number): Promise<JobRecord[]> {
    const cutoff = before.toISOString();
    const found: JobRecord[] = [];
    for (const status of TERMINAL_STATUSES) {
      // Each status index is in submission order; a job created at or after the cutoff cannot have
      // ended before it, so the walk stops there instead of reading every terminal record.
      let start = 0;
      let walking = true;
      while (walking) {
        const ids = await this.guard(() => this.redis.zrange(this.keys.status(status), start, start + 199));
        if (ids.length === 0) break;
        start += ids.length;
        const jobs = await Promise.all(ids.map((id) => this.get(id, false)));
        for (const job of jobs) {
          if (!job) continue; // expired by the record TTL; its index entry is stale
          if (job.created_at >= cutoff) {
            walking = false;
            break;
          }
          if (job.status === status && job.finished_at !== null && job.finished_at < cutoff) found.push(job);
        }
      }
    }
    found.sort((a, b) => (a.finished_at! < b.finished_at! ? -1 : a.finished_at! > b.finished_at! ? 1 : 0));
    return found.slice(0, limit);
  }

  async stats(): Promise<QueueStats> {
    return this.guard(async () => {
      const statuses = JOB_STATUSES;
      const pipeline = this.redis.multi();
      for (const s of statuses) pipeline.zcard(this.keys.status(s));
      pipeline.get(this.keys.durationSum);
      pipeline.get(this.keys.durationCount);
      const results = (await pipeline.exec()) ?? [];
      const n = (i: number) => Number(results[i]?.[1] ?? 0);
      const counts = Object.fromEntries(statuses.map((s, i) => [s, n(i)]));
      return queueStats(counts, { seconds: n(statuses.length), finished: n(statuses.length + 1) });
    });
  }

  /** The delivery view, for metrics: ready jobs, leased jobs (nothing is delayed on Redis). */
  async depth(): Promise<QueueDepth> {
    return this.guard(async () => {
      const counts = (await this.redis.multi().zcard(this.keys.ready).zcard(this.keys.leases).exec()) ?? [];
      return { waiting: Number(counts[0]?.[1] ?? 0), active: Number(counts[1]?.[1] ?? 0), delayed: 0 };
    });
  }

  async liveWorkers(): Promise<number> {
    return this.guard(() => this.redis.zcount(this.keys.workers, Date.now() - this.workerTtlMs(), '+inf'));
  }

  async workerStates(): Promise<WorkerClaimState[]> {
    return this.guard(async () => {
      const ids = await this.redis.zrangebyscore(this.keys.workers, Date.now() - this.workerTtlMs(), '+inf');
      if (ids.length === 0) return [];
      const reasons = await this.redis.hmget(this.keys.workersBlocked, ...ids);
      return ids
        .map((workerId, i) => ({ workerId, canClaim: reasons[i] == null, reason: reasons[i] ?? null }))
        .sort((a, b) => (a.workerId < b.workerId ? -1 : 1));
    });
  }

  private workerTtlMs(): number {
    return Math.max(3 * (this.consumerDefaults.heartbeatMs ?? CONSUMER_LOOP_DEFAULTS.heartbeatMs), 3000);
  }

  /** The connections a submission uses (so /readyz sees what submit sees). */
  async ping(): Promise<void> {
    await this.guard(() =>
      Promise.all([this.redis.ping(), ...(this.submitter.redis === this.redis ? [] : [this.submitter.redis.ping()])]),
    );
  }

  consume(options: ConsumeOptions): Consumer {
    if (this.closed) throw new StoreUnavailableError('Job store is closed');
    const consumer = new ConsumerLoop(this.openLeases(), options, {
      ...CONSUMER_LOOP_DEFAULTS,
      ...this.consumerDefaults,
    });
    this.consumers.add(consumer);
    consumer.onClosed(() => this.consumers.delete(consumer));
    return consumer;
  }

  openLeases(): RedisLeaseStore {
    if (this.closed) throw new StoreUnavailableError('Job store is closed');
    const settings = { ...CONSUMER_LOOP_DEFAULTS, ...this.consumerDefaults };
    return new RedisLeaseStore({
      endpoint: this.endpoint,
      keyPrefix: this.options.keyPrefix,
      jobTtlSeconds: this.options.jobTtlSeconds,
      leaseMs: settings.leaseMs,
      heartbeatMs: settings.heartbeatMs,
      maxAttempts: settings.maxAttempts,
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.markerTimer);
    this.clock.close();
    await Promise.all([...this.consumers].map((c) => c.close(0)));
    this.closed = true;
    if (this.submitter.redis !== this.redis) this.submitter.redis.disconnect();
    this.eventSubscriber?.disconnect();
    this.redis.disconnect();
  }

  /** Any Redis failure (down, timeout, connection closed) becomes StoreUnavailableError (503). */
  private async guard<T>(fn: () => Promise<T> | T): Promise<T> {
    if (this.closed) throw new StoreUnavailableError('Job store is closed');
    try {
      return await fn();
    } catch (err) {
      if (err instanceof StoreUnavailableError || err instanceof InvalidCursorError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      if (/ERR|WRONGTYPE|NOSCRIPT/.test(message) && !/connect|closed|offline|ECONN|timeout/i.test(message)) throw err;
      throw new StoreUnavailableError('Job store unavailable (Redis)', { cause: err });
    }
  }
}

/** Which Redis a store lives on, for the data-loss marker's memory file (never credentials). */
function storeAddress(endpoint: RedisEndpoint): string {
  if (endpoint.kind === 'standalone') {
    const address = new URL(endpoint.url);
    return `${address.host}${address.pathname || '/0'}`;
  }
  if (endpoint.kind === 'sentinel') return `sentinel:${endpoint.name}/${endpoint.db}`;
  return `cluster:${endpoint.nodes
    .map((n) => `${n.host}:${n.port}`)
    .sort()
    .join(',')}`;
}
