// Who wants to know about the process groups runProcess starts: the worker records each one with
// the job attempt it belongs to (worker/attempt-process-groups.ts), so that a later attempt can end
// a group its crashed predecessor left behind.
// An AsyncLocalStorage rather than a parameter: every ffmpeg call, generator and local model run of
// an attempt would otherwise have to carry the attempt's identity down to the spawn. The store is
// scoped to the attempt's async call tree; outside one (the CLI's `generate`) nothing is observed.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface SpawnObserver {
  /** A child became the leader of process group `pgid` (its pid). Must not throw. */
  spawned(pgid: number): void;
  /** The group's leader exited and its stdio closed; runProcess has killed what was left of the group. */
  ended(pgid: number): void;
}

/** The observer of one attempt; `settled` once the attempt's own promise has. */
interface ObservedAttempt {
  observer: SpawnObserver;
  settled: boolean;
}

const current = new AsyncLocalStorage<ObservedAttempt>();
let observing = 0;

/**
 * Runs `fn` with every process group it spawns (directly or in anything it awaits) reported to
 * `observer`. On Node 20 a used AsyncLocalStorage keeps async hooks on for every promise of the
 * process (the status reads of an API process with a worker paid for it: promiseInitHook in the
 * profile), so the storage is switched off again whenever no attempt is being observed; a spawn
 * after its attempt settled is reported to no one, as it should be. Disabling is not enough for that
 * on Node 24, whose AsyncContextFrame keeps the store in callbacks scheduled before the disable, so
 * the attempt also marks itself settled.
 */
export async function observeSpawns<T>(observer: SpawnObserver, fn: () => Promise<T>): Promise<T> {
  const attempt: ObservedAttempt = { observer, settled: false };
  observing += 1;
  try {
    return await current.run(attempt, fn);
  } finally {
    attempt.settled = true;
    observing -= 1;
    if (observing === 0) current.disable();
  }
}

export function currentSpawnObserver(): SpawnObserver | undefined {
  const attempt = current.getStore();
  return attempt && !attempt.settled ? attempt.observer : undefined;
}
