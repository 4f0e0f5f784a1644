import { ApiError } from './api-error.js';

export interface FieldProblem {
  field: string;
  message: string;
}

/** 400 ValidationError naming the field(s) at fault. */
export function validationError(problems: FieldProblem[]): ApiError {
  const first = problems[0] ?? { field: 'request', message: 'is invalid' };
  const message = problems.length === 1 ? `${first.field}: ${first.message}` : `Request validation failed: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`;
  return new ApiError(400, 'ValidationError', message, { field: first.field, validation_errors: problems });
}
