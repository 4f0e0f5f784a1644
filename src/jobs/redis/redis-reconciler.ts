// Repairs what a crash between two Redis writes leaves behind. A job record and its BullMQ entry are
// separate writes (SUBMIT stores the record, then `Queue.add` enqueues it), so a process killed in
// between leaves a `queued` record no worker will ever see; a worker whose outcome write failed, or a
// BullMQ entry that was lost, leaves a `started`/`progress` record that no lease protects. The
// reconciler runs in every process that consumes jobs, once per lease period:
// - a `queued` record older than one period whose BullMQ job is missing (or already completed or
//   failed) is enqueued again under its own id as BullMQ jobId, so a second add is a no-op;
// - a `started`/`progress` record whose BullMQ job is not active, waiting or delayed has lost its lease:
//   it goes back to `queued` and is enqueued again, or fails when its attempts are used up.
// A record is repaired only when two passes, one period apart, saw it in the same state, so a submit
// or hand-back in flight is never raced. Every repair is a compare-and-set on the record (the lease
// token it saw), so several processes reconciling at once cannot double a job.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { formatLogLine } from '../job.js';

/** What the reconciler needs from the Redis adapter: a narrow view, not the adapter itself. */
export interface ReconcilerStore {
  readonly prefix: string;
  readonly ttl: number;
  readonly redis: Redis;
  readonly bullQueue: Queue;
  /** Runs one of the adapter's record scripts (REQUEUE, FAIL, APPEND_LOG). */
  script<T>(name: 'REQUEUE' | 'FAIL' | 'APPEND_LOG', ...args: (string | number)[]): Promise<T>;
  /** Adds the job to BullMQ under its own id, with the priority of its fair-queueing round. */
  enqueue(id: string, round: number): Promise<void>;
}

export interface ReconcilerOptions {
  periodMs: number;
  maxAttempts: number;
  /** At most this many records of each active status are looked at per pass (oldest first). */
  batch?: number;
  onError?: (err: unknown) => void;
  onRepair?: (jobId: string, action: RepairAction) => void;
}

export type RepairAction = 'enqueued' | 'requeued' | 'failed';

type BullState = Awaited<ReturnType<Queue['getJobState']>>;

/** BullMQ states in which the job will still reach a worker (or is held by one). */
const LIVE: ReadonlySet<BullState> = new Set<BullState>(['waiting', 'prioritized', 'delayed', 'active', 'waiting-children']);

const SCANNED = ['queued', 'started', 'progress'] as const;

export class RedisReconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** id → what the previous pass saw; a repair needs the same sighting twice. */
  private suspects = new Map<string, string>();
  private readonly batch: number;

  constructor(private readonly store: ReconcilerStore, private readonly options: ReconcilerOptions) {
    this.batch = options.batch ?? 1000;
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.pass(), this.options.periodMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over the queued and active indexes. Overlapping calls share the pass in progress. */
  pass(): Promise<void> {
    this.running ??= this.scan().catch((err: unknown) => this.options.onError?.(err)).finally(() => { this.running = null; });
    return this.running;
  }

  private async scan(): Promise<void> {
    const { redis, prefix, bullQueue } = this.store;
    const seen = new Map<string, string>();
    for (const status of SCANNED) {
      const ids = await redis.zrange(`${prefix}status:${status}`, 0, this.batch - 1);
      if (ids.length === 0) continue;
      // One round trip for the records and one for BullMQ's view; the slow getJobState only for suspects.
      const records = redis.pipeline();
      for (const id of ids) records.hmget(`${prefix}job:${id}`, 'status', 'lease_token', 'created_at', 'attempts', 'round');
      const bull = redis.pipeline();
      for (const id of ids) {
        bull.exists(bullQueue.toKey(id));
        bull.zscore(bullQueue.toKey('failed'), id);
        bull.zscore(bullQueue.toKey('completed'), id);
      }
      const [recordRows, bullRows] = await Promise.all([records.exec(), bull.exec()]);
      for (let i = 0; i < ids.length; i += 1) {
        const id = ids[i]!;
        const [statusJson, leaseJson, createdJson, attemptsJson, round] = (recordRows?.[i]?.[1] ?? []) as (string | null)[];
        if (statusJson !== JSON.stringify(status)) continue; // moved on (or expired) since the index was read
        const known = bullRows?.[3 * i]?.[1] === 1;
        const finished = bullRows?.[3 * i + 1]?.[1] !== null || bullRows?.[3 * i + 2]?.[1] !== null;
        if (known && !finished) continue; // waiting, delayed or active: BullMQ will deliver it or recover the stall
        const createdAt = createdJson ? Date.parse(JSON.parse(createdJson) as string) : 0;
        if (status === 'queued' && Date.now() - createdAt < this.options.periodMs) continue; // a submit may be in flight
        const state = await bullQueue.getJobState(id);
        if (LIVE.has(state)) continue;
        const sighting = `${status}|${leaseJson}|${state}`;
        seen.set(id, sighting);
        if (this.suspects.get(id) !== sighting) continue;
        const lease = leaseJson ? (JSON.parse(leaseJson) as string | null) : null;
        await this.repair(id, status, lease, Number(attemptsJson ?? 0), Number(round) || 0, state);
        seen.delete(id);
      }
    }
    this.suspects = seen;
  }

  private async repair(id: string, status: (typeof SCANNED)[number], lease: string | null, attempts: number, round: number, state: BullState): Promise<void> {
    const { store } = this;
    if (status !== 'queued') {
      if (lease === null) return;
      const max = this.options.maxAttempts;
      if (attempts >= max) {
        const reason = `Job interrupted ${attempts} time(s): its worker stopped (crash or restart) and the attempt limit of ${max} is reached`;
        const failed = await store.script<number>('FAIL', id, lease, new Date().toISOString(), reason, formatLogLine(`Job failed: ${reason}`), store.ttl);
        if (failed === 1) this.options.onRepair?.(id, 'failed');
        return;
      }
      const line = formatLogLine(`Worker lost while running the job (attempt ${attempts} of ${max}); its lease is gone, so the job is queued again`);
      const requeued = await store.script<number>('REQUEUE', id, lease, line, 0, store.ttl);
      if (requeued !== 1) return; // someone else moved it meanwhile
    }
    // A finished BullMQ entry keeps the id taken (a failed one is kept a day): clear it before adding.
    if (state === 'failed' || state === 'completed') await store.bullQueue.remove(id);
    await store.enqueue(id, round);
    if (status === 'queued') {
      await store.script('APPEND_LOG', id, formatLogLine('Job enqueued again: it was stored but never reached the queue (the submitting process stopped in between)'), store.ttl);
    }
    this.options.onRepair?.(id, status === 'queued' ? 'enqueued' : 'requeued');
  }
}
