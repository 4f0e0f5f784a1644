// The job state machine, the authority for every status write: the SQLite guards (`WHERE status IN
// (...)`) and the Redis Lua guards (the generated SOURCES table) are derived from it, so the rules hold
// in every backend: nothing leaves a terminal state, and a late progress write never overwrites `canceled`.
import type { JobStatus } from './job.js';

const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  queued: ['started', 'canceled'],
  // `queued` from started/progress is the retry after a worker died (lease expired).
  started: ['progress', 'finished', 'failed', 'canceled', 'queued'],
  // progress → progress: repeated progress updates are normal.
  progress: ['progress', 'finished', 'failed', 'canceled', 'queued'],
  finished: [],
  failed: [],
  canceled: [],
};

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Statuses from which `to` may be reached, for conditional writes (`WHERE status IN (...)`). */
export function sourcesOf(to: JobStatus): JobStatus[] {
  return (Object.keys(TRANSITIONS) as JobStatus[]).filter((from) => TRANSITIONS[from].includes(to));
}

/** Statuses in which a worker holds the job under a lease (what a lease holder may finish). */
export const LEASED_STATUSES: readonly JobStatus[] = ['started', 'progress'];
