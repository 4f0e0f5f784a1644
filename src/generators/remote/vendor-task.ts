// When a vendor task is cancelled: the job was canceled or the task passed its deadline, so a
// stopped job stops costing money (each backend sends its vendor's cancel through its VendorClient).
import { CanceledError } from '../../errors/canceled-error.js';
import { GenerationError } from '../../errors/generation-error.js';
import type { GenerateHooks, VendorTaskRecord, VideoGenerator } from '../types.js';

/** Whether the vendor's task should be cancelled after `err`: the job was canceled, or the task passed its deadline. */
export function abandonsTask(err: unknown, signal: AbortSignal): boolean {
  return (
    signal.aborted || err instanceof CanceledError || (err instanceof GenerationError && err.failure === 'timeout')
  );
}

/**
 * The job-log line for a task that keeps running because its vendor cannot stop it: it documents no
 * cancel (the default reason), or only for a task in another state (MiniMax V2: queued tasks only).
 */
export function cannotStopMessage(
  task: VendorTaskRecord,
  backend: Pick<VideoGenerator, 'configuredModel'> | null,
  why = 'the vendor documents no cancel',
): string {
  const perSecond = backend?.configuredModel?.row.usd_per_second;
  const bill =
    perSecond !== undefined
      ? `; it may still bill up to its full price (model ${task.model}, $${perSecond.toFixed(2)} per second of video)`
      : '; it may still bill for the whole clip';
  return `${task.backend}: task ${task.taskId} cannot be stopped (${why}) and keeps running${bill}`;
}

/**
 * Records a task the vendor has just created, before its first poll, so that a later attempt
 * re-attaches to it instead of paying again. A task that cannot be recorded would be lost to every
 * later attempt: it is cancelled (where the vendor can) rather than followed, and the error goes on.
 */
export async function recordTaskOrCancel(
  task: VendorTaskRecord,
  hooks: GenerateHooks,
  backend: { cancelTask(task: VendorTaskRecord, log?: (message: string) => void): Promise<void> },
): Promise<void> {
  try {
    await hooks.task?.record(task);
  } catch (err) {
    await backend.cancelTask(task, hooks.log);
    throw err;
  }
}
