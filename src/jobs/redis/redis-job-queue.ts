// Scaled JobStore/Queue adapter: job records, indexes and logs in Redis (Lua-scripted, so every
// state change is atomic), BullMQ for delivery, locks, stalled-job recovery and attempts, and Redis
// pub/sub for cancel signals that reach a worker in any process.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { Redis, type RedisOptions } from 'ioredis';
import { Queue } from 'bullmq';
import { StoreUnavailableError } from '../../errors/store-unavailable-error.js';
import { InvalidCursorError } from '../../errors/invalid-cursor-error.js';
import { QueueFullError } from '../../errors/queue-full-error.js';
import { BudgetExceededError } from '../../errors/budget-exceeded-error.js';
import { formatLogLine, MAX_LOG_LINES, scopedIdempotencyKey, type JobRecord, type JobRequest, type JobStage, type JobStatus } from '../job.js';
import { requestHash } from '../request-hash.js';
import { TerminalRecordCache } from '../terminal-record-cache.js';
import type {
  CancelResult, RemoveResult, ConsumeOptions, StoreWarning, JobEvent, QueueDepth, Consumer, JobQueue, ListOptions, ListResult, QueueStats, SubmitOptions, SubmitResult,
} from '../job-queue.js';
import * as scripts from './redis-scripts.js';
import { RedisConsumer, type RedisConsumerSettings } from './redis-consumer.js';
import { RedisReconciler, type RepairAction } from './redis-reconciler.js';
import { RedisStoreMarker } from './redis-store-marker.js';

export interface RedisJobQueueOptions {
  /** redis://[:password@]host:port/db */
  url: string;
  keyPrefix: string;
  /** Seconds a job record and its logs live after their last write (0 = forever). */
  jobTtlSeconds: number;
  consumer?: Partial<RedisConsumerSettings>;
  /** Where this host remembers the Redis instance it saw (redis-store-marker.ts); null = this process only. */
  markerMemoryFile?: string | null;
  /** Error lines for what this adapter notices by itself (lost data, reconciler trouble), and repair notes. */
  logger?: RedisQueueLogger;
}

export interface RedisQueueLogger {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** How often every process re-reads the data-loss marker (the /readyz check reads it as well). */
const MARKER_CHECK_MS = 10_000;

type ScriptName = 'SUBMIT' | 'DISCARD' | 'CANCEL' | 'CLAIM' | 'PROGRESS' | 'COST' | 'FINISH' | 'FAIL' | 'REQUEUE' | 'APPEND_LOG' | 'REMOVE';

export const BULL_QUEUE_NAME = 'ttv-jobs';

const FIELDS = ['id', 'seq', 'status', 'stage', 'progress', 'prompt', 'request', 'created_at', 'started_at', 'finished_at', 'gcs_uri', 'artifact_uri', 'artifact_key', 'error', 'estimated_cost_usd', 'attempts', 'owner_key_id'] as const;

/** ioredis options shared by every connection: fail fast while Redis is down, reconnect forever. */
export function redisOptions(): RedisOptions {
  return {
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
    lazyConnect: false,
  };
}

/** For request-path connections: a command fails within ~2 s while Redis is down (→ 503), instead of waiting. */
function failFast(): RedisOptions {
  return { ...redisOptions(), maxRetriesPerRequest: 1, commandTimeout: 2000 };
}

export class RedisJobQueue implements JobQueue {
  readonly kind = 'redis' as const;
  readonly prefix: string;
  readonly ttl: number;
  /** Commands for records and indexes. Its own connection fails fast so that the API can answer 503. */
  readonly redis: Redis;
  readonly bullQueue: Queue;
  private readonly bullConnection: Redis;
  readonly url: string;
  private readonly consumerDefaults: Partial<RedisConsumerSettings>;
  private readonly consumers = new Set<RedisConsumer>();
  private closed = false;
  private readonly terminalCache = new TerminalRecordCache();
  /** In-process hints for watch(). */
  readonly local = new EventEmitter().setMaxListeners(0);
  private eventSubscriber: Redis | null = null;
  private readonly marker: RedisStoreMarker;
  private readonly markerTimer: NodeJS.Timeout;
  private reconciler: RedisReconciler | null = null;
  private readonly logger: RedisQueueLogger | undefined;

  constructor(options: RedisJobQueueOptions) {
    this.url = options.url;
    this.prefix = `${options.keyPrefix}:`;
    this.ttl = options.jobTtlSeconds;
    this.consumerDefaults = options.consumer ?? {};
    this.redis = new Redis(options.url, failFast());
    this.redis.on('error', () => { /* reconnects by itself; callers see StoreUnavailableError */ });
    for (const [name, lua] of Object.entries(scripts)) {
      this.redis.defineCommand(name, { numberOfKeys: 1, lua });
    }
    this.bullConnection = new Redis(options.url, failFast());
    this.bullConnection.on('error', () => { /* reconnects by itself */ });
    this.bullQueue = new Queue(BULL_QUEUE_NAME, {
      connection: this.bullConnection,
      prefix: `${options.keyPrefix}:bull`,
    });
    this.bullQueue.on('error', () => { /* reported through ping/readiness */ });
    this.logger = options.logger;
    const address = new URL(options.url);
    this.marker = new RedisStoreMarker({
      redis: this.redis,
      key: `${this.prefix}meta`,
      storeId: `${address.host}${address.pathname || '/0'} ${options.keyPrefix}`,
      memoryFile: options.markerMemoryFile ?? null,
      onDataLost: (warning, previousInstanceId) => this.logger?.error({ reason: warning.reason, since: warning.since, previousInstanceId }, warning.message),
    });
    const checkMarker = () => void this.marker.check().catch(() => undefined); // Redis down: ping/readiness report it
    checkMarker();
    this.markerTimer = setInterval(checkMarker, MARKER_CHECK_MS);
    this.markerTimer.unref();
  }

  /** Problems with the store's own data: a Redis that lost what ttv stored in it. */
  async storeWarnings(): Promise<StoreWarning[]> {
    const warning = await this.guard(() => this.marker.check());
    return warning ? [warning] : [];
  }

  /** Adds a stored job to BullMQ under its own id (a second add of a known id is a no-op). */
  async enqueue(id: string, round: number): Promise<void> {
    await this.guard(() => this.bullQueue.add('run', { id }, {
      jobId: id, removeOnComplete: true, removeOnFail: { age: 24 * 3600 }, attempts: 1,
      priority: round || undefined, // the owner's fair-queueing round (redis-scripts.ts SUBMIT)
    }));
  }

  /** Runs one of the Lua scripts of redis-scripts.ts. */
  async script<T>(name: ScriptName, ...args: (string | number)[]): Promise<T> {
    return this.guard(() => (this.redis as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[name]!(this.prefix, ...args));
  }

  async submit(request: JobRequest, options: SubmitOptions = {}): Promise<SubmitResult> {
    const id = randomUUID();
    const [outcome, existingId, extra] = await this.script<[string, string, string?]>(
      'SUBMIT', id, request.prompt, JSON.stringify(request), new Date().toISOString(),
      JSON.stringify(options.estimatedCostUsd ?? null),
      options.idempotencyKey === undefined ? '' : scopedIdempotencyKey(options.idempotencyKey, options.owner), requestHash(request),
      formatLogLine('Job queued'), this.ttl, options.owner ?? '',
      options.maxQueued ?? '', options.maxQueuedForOwner ?? '', options.budget?.month ?? '', options.budget?.limitUsd ?? '',
    );
    if (outcome === 'queue_full') {
      const scope = existingId as 'global' | 'owner';
      throw new QueueFullError(scope, Number(extra), (scope === 'global' ? options.maxQueued : options.maxQueuedForOwner) ?? 0);
    }
    if (outcome === 'over_budget') {
      throw new BudgetExceededError(Number(existingId), options.estimatedCostUsd ?? 0, options.budget?.limitUsd ?? 0);
    }
    if (outcome === 'created') {
      try {
        await this.enqueue(id, Number(extra));
      } catch (err) {
        // Never leave a stored job that no worker will see: the client gets 503, not a 202.
        await this.script('DISCARD', id).catch(() => undefined);
        throw err instanceof StoreUnavailableError ? err : new StoreUnavailableError('Queue unavailable', { cause: err });
      }
    }
    const job = await this.get(existingId);
    if (!job) throw new StoreUnavailableError('Job record vanished after submit');
    return { outcome: outcome as SubmitResult['outcome'], job } as SubmitResult;
  }

  async get(id: string, rankQueued = true): Promise<JobRecord | null> {
    const cached = this.terminalCache.get(id);
    if (cached) return cached;
    return this.guard(async () => {
      const values = await this.redis.hmget(`${this.prefix}job:${id}`, ...FIELDS);
      if (values[0] === null) return null;
      const record = this.toRecord(values);
      if (record.status === 'queued' && rankQueued) {
        const rank = await this.redis.zrank(`${this.prefix}status:queued`, id);
        record.queue_position = rank === null ? null : rank + 1;
      }
      return this.terminalCache.remember(record);
    });
  }

  async list(options: ListOptions): Promise<ListResult> {
    let max = '+inf';
    if (options.cursor !== undefined) {
      const decoded = Buffer.from(options.cursor, 'base64url').toString('utf8');
      if (!/^s[1-9][0-9]{0,15}$/.test(decoded)) throw new InvalidCursorError();
      max = `(${decoded.slice(1)}`;
    }
    if (options.owner !== undefined) return this.listOwned(options, max);
    const index = options.status ? `${this.prefix}status:${options.status}` : `${this.prefix}jobs`;
    const ids = await this.guard(() => this.redis.zrevrangebyscore(index, max, '-inf', 'LIMIT', 0, options.limit + 1));
    const page = ids.slice(0, options.limit);
    const jobs = (await Promise.all(page.map((id) => this.get(id, false)))).filter((j): j is JobRecord => j !== null);
    // The page's queued jobs are consecutive in the queued index: one ZRANK for the oldest gives all.
    const queued = jobs.filter((j) => j.status === 'queued').reverse();
    if (queued.length > 0) {
      const rank = await this.guard(() => this.redis.zrank(`${this.prefix}status:queued`, queued[0]!.id));
      if (rank !== null) queued.forEach((job, i) => { job.queue_position = rank + 1 + i; });
    }
    const last = page[page.length - 1];
    let nextCursor: string | null = null;
    if (ids.length > options.limit && last) {
      const score = await this.guard(() => this.redis.zscore(index, last));
      if (score) nextCursor = Buffer.from(`s${score}`, 'utf8').toString('base64url');
    }
    return { jobs, nextCursor };
  }

  /** One owner's jobs, newest first, from the owner's index (a status filter is applied while walking it). */
  private async listOwned(options: ListOptions, max: string): Promise<ListResult> {
    const index = options.status ? `${this.prefix}owner:${options.owner}:status:${options.status}` : `${this.prefix}owner:${options.owner}:jobs`;
    const jobs: JobRecord[] = [];
    let upper = max;
    let more = true;
    while (jobs.length <= options.limit && more) {
      const batch = await this.guard(() => this.redis.zrevrangebyscore(index, upper, '-inf', 'WITHSCORES', 'LIMIT', 0, 200));
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
    const nextCursor = jobs.length > options.limit && lastScore ? Buffer.from(`s${lastScore}`, 'utf8').toString('base64url') : null;
    return { jobs: page, nextCursor };
  }

  async logs(id: string, tail: number): Promise<string[] | null> {
    return this.guard(async () => {
      const exists = await this.redis.exists(`${this.prefix}job:${id}`);
      if (!exists) return null;
      const count = tail > 0 ? Math.min(tail, MAX_LOG_LINES) : MAX_LOG_LINES;
      return this.redis.lrange(`${this.prefix}logs:${id}`, -count, -1);
    });
  }

  async appendLog(id: string, message: string): Promise<void> {
    await this.script('APPEND_LOG', id, formatLogLine(message), this.ttl);
  }

  async events(id: string, after: string | null, limit = 500): Promise<JobEvent[] | null> {
    if (after !== null && !/^\d{1,15}-\d{1,10}$/.test(after)) throw new InvalidCursorError();
    return this.guard(async () => {
      if (!(await this.redis.exists(`${this.prefix}job:${id}`))) return null;
      const entries = await this.redis.xrange(`${this.prefix}events:${id}`, after === null ? '-' : `(${after}`, '+', 'COUNT', limit);
      return entries.map(([entryId, fields]) => {
        const map = new Map<string, string>();
        for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
        return { id: entryId, type: map.get('type') as JobEvent['type'], data: JSON.parse(map.get('data') ?? '{}') as Record<string, unknown> };
      });
    });
  }

  /**
   * Every journal write publishes the job id on "<prefix>events" (redis-scripts.ts); one subscriber
   * connection per process, opened with the first watcher, fans it out to the watchers of that job.
   */
  watch(id: string, listener: () => void): () => void {
    const channel = `job:${id}`;
    this.local.on(channel, listener);
    this.eventSubscriber ??= this.subscribeToEvents();
    return () => this.local.off(channel, listener);
  }

  private subscribeToEvents(): Redis {
    const subscriber = new Redis(this.url, redisOptions());
    subscriber.on('error', () => { /* reconnects and resubscribes by itself; streams also re-read at heartbeats */ });
    subscriber.on('message', (_channel: string, jobId: string) => this.local.emit(`job:${jobId}`));
    // Writes made before the subscription took (or while it was down) were not heard: every watcher re-reads.
    const wakeAll = () => { for (const name of this.local.eventNames()) if (String(name).startsWith('job:')) this.local.emit(name); };
    subscriber.on('ready', () => setImmediate(wakeAll));
    void subscriber.subscribe(`${this.prefix}events`).then(wakeAll, () => undefined);
    return subscriber;
  }

  async cancel(id: string): Promise<CancelResult> {
    const [outcome, previous] = await this.script<[string, string]>('CANCEL', id, new Date().toISOString(), formatLogLine('Job cancellation requested'), this.ttl);
    if (outcome === 'not_found') return { outcome: 'not_found' };
    const job = await this.get(id);
    if (!job) return { outcome: 'not_found' };
    if (outcome === 'terminal') return { outcome: 'terminal', job };
    if (previous === 'queued') {
      // Drop it from BullMQ's wait list; if a worker grabbed it meanwhile, its claim sees "canceled".
      await this.bullQueue.remove(id).catch(() => undefined);
    }
    await this.guard(() => this.redis.publish(`${this.prefix}cancel`, id));
    this.local.emit(`job:${id}`);
    return { outcome: 'canceled', job };
  }

  async remove(id: string): Promise<RemoveResult> {
    const job = await this.get(id);
    if (!job) return { outcome: 'not_found' };
    const outcome = await this.script<string>('REMOVE', id);
    if (outcome === 'not_found') return { outcome: 'not_found' };
    if (outcome === 'not_terminal') return { outcome: 'not_terminal', job };
    this.terminalCache.forget(id);
    await this.bullQueue.remove(id).catch(() => undefined); // a failed BullMQ entry is kept a day
    return { outcome: 'removed', job };
  }

  async stats(): Promise<QueueStats> {
    return this.guard(async () => {
      const statuses: JobStatus[] = ['queued', 'started', 'progress', 'finished', 'failed', 'canceled'];
      const pipeline = this.redis.multi();
      for (const s of statuses) pipeline.zcard(`${this.prefix}status:${s}`);
      pipeline.get(`${this.prefix}stats:duration_sum`);
      pipeline.get(`${this.prefix}stats:duration_count`);
      const results = (await pipeline.exec()) ?? [];
      const n = (i: number) => Number(results[i]?.[1] ?? 0);
      const [queued, started, progress, finished, failed, canceled] = statuses.map((_, i) => n(i)) as number[];
      const sum = Number(results[6]?.[1] ?? 0);
      const count = Number(results[7]?.[1] ?? 0);
      return {
        queued: queued!, active: started! + progress!, finished: finished!, failed: failed!, canceled: canceled!,
        total: queued! + started! + progress! + finished! + failed! + canceled!,
        averageProcessingSeconds: count > 0 ? Math.round((sum / count) * 1000) / 1000 : 0,
      };
    });
  }

  /** BullMQ's own view of the queue, for metrics: waiting, active, delayed. */
  async depth(): Promise<QueueDepth> {
    return this.guard(async () => {
      const counts = await this.bullQueue.getJobCounts('waiting', 'active', 'delayed');
      return { waiting: counts.waiting ?? 0, active: counts.active ?? 0, delayed: counts.delayed ?? 0 };
    });
  }

  async liveWorkers(): Promise<number> {
    const ttlMs = Math.max(3 * (this.consumerDefaults.heartbeatMs ?? 5000), 3000);
    return this.guard(() => this.redis.zcount(`${this.prefix}workers`, Date.now() - ttlMs, '+inf'));
  }

  async ping(): Promise<void> {
    await this.guard(() => this.redis.ping());
  }

  consume(options: ConsumeOptions): Consumer {
    if (this.closed) throw new StoreUnavailableError('Job store is closed');
    const consumer = new RedisConsumer(this, options, this.consumerDefaults);
    this.consumers.add(consumer);
    consumer.onClosed(() => this.consumers.delete(consumer));
    this.startReconciler();
    return consumer;
  }

  /**
   * Every process that consumes also repairs records a crash left without a queue entry or lease
   * (redis-reconciler.ts), once per lease period: where the workers are, so is the repair.
   */
  private startReconciler(): void {
    if (this.reconciler) return;
    const settings = this.consumerDefaults;
    this.reconciler = new RedisReconciler(this, {
      periodMs: settings.leaseMs ?? 30_000,
      maxAttempts: settings.maxAttempts ?? 3,
      onError: (err) => { if (!(err instanceof StoreUnavailableError)) this.logger?.error({ err }, 'job reconciler pass failed'); },
      onRepair: (jobId: string, action: RepairAction) => this.logger?.warn({ jobId, action }, `job reconciler: ${action} a job a crash left behind`),
    });
    this.reconciler.start();
  }

  /** One reconciler pass now (it also runs by itself once per lease period in consuming processes). */
  async reconcile(): Promise<void> {
    this.startReconciler();
    await this.reconciler!.pass();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    clearInterval(this.markerTimer);
    await Promise.all([...this.consumers].map((c) => c.close(0)));
    await this.reconciler?.stop();
    this.closed = true;
    await this.bullQueue.close().catch(() => undefined);
    // BullMQ leaves a connection it was given open: it is ours to close.
    this.bullConnection.disconnect();
    this.eventSubscriber?.disconnect();
    this.redis.disconnect();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Any Redis failure (down, timeout, connection closed) becomes StoreUnavailableError (503). */
  async guard<T>(fn: () => Promise<T> | T): Promise<T> {
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

  private toRecord(values: (string | null)[]): JobRecord {
    const parsed = Object.fromEntries(FIELDS.map((f, i) => [f, values[i] === null || values[i] === undefined ? null : JSON.parse(values[i]!)])) as Record<string, unknown>;
    return {
      id: parsed.id as string,
      status: parsed.status as JobStatus,
      stage: parsed.stage as JobStage,
      progress: Number(parsed.progress ?? 0),
      prompt: parsed.prompt as string,
      request: JSON.parse(parsed.request as string) as JobRequest,
      created_at: parsed.created_at as string,
      started_at: (parsed.started_at as string | null) ?? null,
      finished_at: (parsed.finished_at as string | null) ?? null,
      gcs_uri: (parsed.gcs_uri as string | null) ?? null,
      artifact_uri: (parsed.artifact_uri as string | null) ?? null,
      artifact_key: (parsed.artifact_key as string | null) ?? null,
      error: (parsed.error as string | null) ?? null,
      estimated_cost_usd: (parsed.estimated_cost_usd as number | null) ?? null,
      attempts: Number(parsed.attempts ?? 0),
      owner_key_id: (parsed.owner_key_id as string | null) ?? null,
      queue_position: null,
    };
  }
}
