import { TtvError } from './ttv-error.js';

/** A planner could not turn the prompt into segments (vendor failure, refusal, or an unusable reply). */
export class PlanningError extends TtvError {
  override readonly name = 'PlanningError';
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean; publicMessage?: string }) {
    super(message, { ...options, code: 'PlanningError' });
  }
}
