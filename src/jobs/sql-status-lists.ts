// The status guards of both SQL adapters' conditional writes (SQLite and PostgreSQL), as SQL lists
// taken from the state machine (job-state.ts): which statuses a write to each status may start from.
import { TERMINAL_STATUSES, type JobStatus } from './job.js';
import { LEASED_STATUSES, sourcesOf } from './job-state.js';

/** `'a','b'`, for `status IN (…)` (statuses are fixed identifiers, never input). */
export function inList(statuses: readonly JobStatus[]): string {
  return statuses.map((s) => `'${s}'`).join(',');
}

/** A worker holds the job. */
export const LEASED = inList(LEASED_STATUSES);
export const TERMINAL = inList([...TERMINAL_STATUSES]);

/** Statuses a write to each status may start from. */
export const FROM = {
  progress: inList(sourcesOf('progress')),
  finished: inList(sourcesOf('finished')),
  failed: inList(sourcesOf('failed')),
  queued: inList(sourcesOf('queued')),
  canceled: inList(sourcesOf('canceled')),
};

/** The one status a claim starts from; both claims' index walks are written for exactly one. */
export const CLAIMABLE = ((sources: JobStatus[]) => {
  if (sources.length !== 1)
    throw new Error(
      `the claim statement expects one status to start from, the state machine has ${sources.join(', ')}`,
    );
  return inList(sources);
})(sourcesOf('started'));
