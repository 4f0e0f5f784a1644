// Polls a vendor task until it reaches a terminal state, the deadline passes or the job is canceled.
import { CanceledError } from '../../errors/canceled-error.js';
import { abortableSleep } from '../../http/vendor-client/retry-policy.js';
import { GenerationError } from '../../errors/generation-error.js';

export type PollState<T> = { done: true; value: T } | { done: false; progress?: number };

export interface PollOptions {
  backend: string;
  taskId: string;
  intervalMs: number;
  /** Absolute deadline (Date.now() scale). */
  deadline: number;
  signal: AbortSignal;
  onProgress?: (fraction: number) => void;
}

/** Calls `check` now and then every intervalMs; a check may throw to end polling with its error. */
export async function pollTask<T>(check: () => Promise<PollState<T>>, options: PollOptions): Promise<T> {
  for (;;) {
    if (options.signal.aborted) throw new CanceledError();
    const state = await check();
    if (state.done) return state.value;
    if (state.progress !== undefined) options.onProgress?.(Math.max(0, Math.min(1, state.progress)));
    const left = options.deadline - Date.now();
    if (left <= 0) {
      throw new GenerationError(
        options.backend,
        'timeout',
        `task ${options.taskId} did not finish before remote_api_settings.timeout`,
        false,
      );
    }
    await abortableSleep(Math.min(options.intervalMs, left), options.signal);
  }
}
