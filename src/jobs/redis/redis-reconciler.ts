// Repairs what a crash between two Redis writes leaves behind: a job record that BullMQ will never
// deliver. A record and its BullMQ entry are separate writes (SUBMIT stores the record, then
// `Queue.add` enqueues it), so a process killed in between leaves a `queued` record no worker sees;
// a BullMQ entry that was completed or lost while its record still says `started`/`progress` leaves a
// job no lease protects and no delivery will bring back. The reconciler runs in every process that
// consumes jobs, once per lease period, and makes sure each such record has a BullMQ entry again:
// - a `queued` record older than one period whose BullMQ job is missing (or already completed or
//   failed) is enqueued under its own id as BullMQ jobId, so a second add is a no-op;
// - a `started`/`progress` record whose lease expired and whose BullMQ job is missing (or finished)
//   is enqueued the same way; the claim that receives it finds the expired lease and recovers the job
//   as for any dead worker (retried, or failed at the attempt limit: redis-lease-store.ts), so the
//   lease rules live in one place.
// A record is repaired only when two passes, at least one period apart, saw it in the same state, so a
// submit in flight is never raced. Each pass reads a window of each index (batch ids); the windows
// walk the whole index over successive passes.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { JobStatus } from '../job.js';
import { LEASED_STATUSES } from '../job-state.js';
import type { QueueKeys } from './queue-keys.js';

/** What the reconciler needs from the Redis adapter: a narrow view, not the adapter itself. */
export interface ReconcilerStore {
  readonly redis: Redis;
  readonly keys: QueueKeys;
  readonly bullQueue: Queue;
  /** Adds the job to BullMQ under its own id, with the priority of its fair-queueing round. */
  enqueue(id: string, round: number): Promise<void>;
  log(id: string, message: string): Promise<void>;
}

export interface ReconcilerOptions {
  periodMs: number;
  /**
   * At most this many records of each scanned status are looked at per pass; a longer index is walked
   * window by window over the following passes (oldest first), so a pass stays cheap with any backlog.
   */
  batch?: number;
  onError?: (err: unknown) => void;
  onRepair?: (jobId: string, status: JobStatus) => void;
}

type BullState = Awaited<ReturnType<Queue['getJobState']>>;

/** BullMQ states in which the job will still reach a worker (or is held by one). */
const LIVE: ReadonlySet<BullState> = new Set<BullState>(['waiting', 'prioritized', 'delayed', 'active', 'waiting-children']);

const SCANNED: readonly JobStatus[] = ['queued', ...LEASED_STATUSES];

export const RECONCILE_MESSAGES = {
  enqueued: 'Job enqueued again: it was stored but never reached the queue (the submitting process stopped in between)',
  leaseGone: 'Job enqueued again: its lease expired and the queue had no entry for it',
} as const;

export class RedisReconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** id → what an earlier pass saw; a repair needs the same sighting twice. */
  private readonly suspects = new Map<string, string>();
  /** Per status: where the next window starts, and the ids seen since the walk last wrapped. */
  private readonly walks = new Map<JobStatus, { offset: number; seen: Set<string> }>();
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

  /** One pass over the queued and leased indexes. Overlapping calls share the pass in progress. */
  pass(): Promise<void> {
    this.running ??= this.scan().catch((err: unknown) => this.options.onError?.(err)).finally(() => { this.running = null; });
    return this.running;
  }

  private async scan(): Promise<void> {
    const { redis, keys, bullQueue } = this.store;
    for (const status of SCANNED) {
      const walk = this.walks.get(status) ?? { offset: 0, seen: new Set<string>() };
      this.walks.set(status, walk);
      const ids = await redis.zrange(keys.status(status), walk.offset, walk.offset + this.batch - 1);
      for (const id of ids) walk.seen.add(id);
      if (ids.length < this.batch) {
        // The walk wrapped: forget suspects of this status that left the index meanwhile.
        for (const [id, sighting] of this.suspects) if (sighting.startsWith(`${status}|`) && !walk.seen.has(id)) this.suspects.delete(id);
        this.walks.set(status, { offset: 0, seen: new Set<string>() });
      } else {
        walk.offset += this.batch;
      }
      if (ids.length === 0) continue;
      // One round trip for the records and one for BullMQ's view; getJobState only for suspects.
      const records = redis.pipeline();
      for (const id of ids) records.hmget(keys.job(id), 'status', 'lease_token', 'lease_expires_at', 'created_at', 'round');
      const bull = redis.pipeline();
      for (const id of ids) {
        bull.exists(bullQueue.toKey(id));
        bull.zscore(bullQueue.toKey('failed'), id);
        bull.zscore(bullQueue.toKey('completed'), id);
      }
      const [recordRows, bullRows] = await Promise.all([records.exec(), bull.exec()]);
      const previous = new Map(ids.map((id) => [id, this.suspects.get(id)]));
      const now = Date.now();
      for (let i = 0; i < ids.length; i += 1) {
        const id = ids[i]!;
        const [statusJson, leaseJson, expiresJson, createdJson, round] = (recordRows?.[i]?.[1] ?? []) as (string | null)[];
        this.suspects.delete(id); // set again below while it still looks lost
        if (statusJson !== JSON.stringify(status)) continue; // moved on (or expired) since the index was read
        const known = bullRows?.[3 * i]?.[1] === 1;
        const finished = bullRows?.[3 * i + 1]?.[1] !== null || bullRows?.[3 * i + 2]?.[1] !== null;
        if (known && !finished) continue; // waiting, delayed or active: BullMQ delivers it, or re-delivers a stall
        if (status === 'queued') {
          const createdAt = createdJson ? Date.parse(JSON.parse(createdJson) as string) : 0;
          if (now - createdAt < this.options.periodMs) continue; // a submit may be between its two writes
        } else {
          const expiresAt = expiresJson ? Number(JSON.parse(expiresJson)) : 0;
          if (expiresAt > now) continue; // its attempt still renews the lease
        }
        const state = await bullQueue.getJobState(id);
        if (LIVE.has(state)) continue;
        const sighting = `${status}|${leaseJson}|${state}`;
        if (previous.get(id) !== sighting) {
          this.suspects.set(id, sighting);
          continue;
        }
        // A finished BullMQ entry keeps its id taken (a failed one is kept a day): clear it first.
        if (state === 'failed' || state === 'completed') await bullQueue.remove(id);
        await this.store.enqueue(id, Number(round) || 0);
        await this.store.log(id, status === 'queued' ? RECONCILE_MESSAGES.enqueued : RECONCILE_MESSAGES.leaseGone);
        this.options.onRepair?.(id, status);
      }
    }
  }
}
