import { TtvError } from './ttv-error.js';

/** A submission whose estimated cost would take its key past its monthly budget. */
export class BudgetExceededError extends TtvError {
  override readonly name = 'BudgetExceededError';
  constructor(readonly spentUsd: number, readonly costUsd: number, readonly limitUsd: number) {
    super(`Monthly budget exceeded: spent ${spentUsd.toFixed(2)} USD of ${limitUsd.toFixed(2)}, this job is estimated at ${costUsd.toFixed(2)}`);
  }
}
