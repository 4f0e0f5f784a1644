// When a vendor task is cancelled: the job was canceled or the task passed its deadline, so a
// stopped job stops costing money (each backend sends its vendor's cancel through its VendorClient).
import { CanceledError } from '../../errors/canceled-error.js';
import { GenerationError } from '../../errors/generation-error.js';

/** Whether the vendor's task should be cancelled after `err`: the job was canceled, or the task passed its deadline. */
export function abandonsTask(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || err instanceof CanceledError || (err instanceof GenerationError && err.failure === 'timeout');
}
