import { ApiError } from './api-error.js';
import type { BudgetExceededError } from '../../errors/budget-exceeded-error.js';

/** 402 BudgetExceeded: the job's estimate would take the key past its monthly_budget_usd. */
export function budgetExceeded(err: BudgetExceededError): ApiError {
  return new ApiError(402, 'BudgetExceeded', err.message,
    { spent_usd: err.spentUsd, estimated_cost_usd: err.costUsd, monthly_budget_usd: err.limitUsd }, false);
}
