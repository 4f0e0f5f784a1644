// Every Redis key and channel of the job store, built in one place. The Lua scripts derive the same
// names from the prefix (lua/common.lua); keep the two in step.
import type { JobStatus } from '../job.js';

export class QueueKeys {
  /** `prefix` is the configured key prefix without the trailing colon. */
  constructor(private readonly prefix: string) {}

  /** KEYS[1] of every script: "<prefix>:". */
  get root(): string { return `${this.prefix}:`; }
  /** BullMQ's own prefix (it adds ":<queue>:..."). */
  get bull(): string { return `${this.prefix}:bull`; }
  job(id: string): string { return `${this.root}job:${id}`; }
  logs(id: string): string { return `${this.root}logs:${id}`; }
  events(id: string): string { return `${this.root}events:${id}`; }
  /** The job's segment records (segment number → JSON), removed with the job. */
  segments(id: string): string { return `${this.root}segments:${id}`; }
  /** Every job by sequence number. */
  get jobs(): string { return `${this.root}jobs`; }
  status(status: JobStatus): string { return `${this.root}status:${status}`; }
  ownerJobs(owner: string): string { return `${this.root}owner:${owner}:jobs`; }
  ownerStatus(owner: string, status: JobStatus): string { return `${this.root}owner:${owner}:status:${status}`; }
  /** The data-loss marker hash: instance_id, created_at[, data_lost_at, previous_instance_id] (redis-store-marker.ts). */
  get meta(): string { return `${this.root}meta`; }
  /** Live workers: a sorted set of worker id → last heartbeat (ms). */
  get workers(): string { return `${this.root}workers`; }
  /** Why a live worker takes no new job now (its gate, e.g. low disk): worker id → reason; absent when it takes them. */
  get workersBlocked(): string { return `${this.root}workers:blocked`; }
  get durationSum(): string { return `${this.root}stats:duration_sum`; }
  get durationCount(): string { return `${this.root}stats:duration_count`; }
  /** Pub/sub: a canceled job's id. */
  get cancelChannel(): string { return `${this.root}cancel`; }
  /** The store-wide journal stream (written by the Lua event() helper). */
  get journal(): string { return `${this.root}journal`; }
  /** A journal follower's cursor/counters hash, its lease and its stored delivery bodies. */
  follower(name: string): { hash: string; lease: string; memos: string } {
    const base = `${this.root}follower:${name}`;
    return { hash: base, lease: `${base}:lease`, memos: `${base}:memos` };
  }
  /** Pub/sub: the id of a job whose journal grew. */
  get eventsChannel(): string { return `${this.root}events`; }
}
