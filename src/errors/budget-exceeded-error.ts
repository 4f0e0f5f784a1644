import { ApiError } from './api-error.js';

/** 402 BudgetExceeded: a submission whose estimated cost would take its key past its monthly_budget_usd. */
export class BudgetExceededError extends ApiError {
  override readonly name = 'BudgetExceededError';
  constructor(
    readonly spentUsd: number,
    readonly costUsd: number,
    readonly limitUsd: number,
  ) {
    super(
      'BudgetExceeded',
      `Monthly budget exceeded: spent ${spentUsd.toFixed(2)} USD of ${limitUsd.toFixed(2)}, this job is estimated at ${costUsd.toFixed(2)}`,
      { spent_usd: spentUsd, estimated_cost_usd: costUsd, monthly_budget_usd: limitUsd },
    );
  }
}
