import { ApiError } from './api-error.js';

export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Most problems one answer reports. A body can hold thousands of mistakes (unknown keys, items of the
 * wrong type); the answer names the first ones and says how many more there were, so that its size
 * does not grow with the request's.
 */
export const MAX_REPORTED_PROBLEMS = 20;
/** Longest field name an answer repeats (an unknown key is the client's text, of any length). */
const MAX_FIELD_CHARS = 200;

function clipped(problem: FieldProblem): FieldProblem {
  return problem.field.length > MAX_FIELD_CHARS
    ? { ...problem, field: `${problem.field.slice(0, MAX_FIELD_CHARS)}…` }
    : problem;
}

function messageOf(problems: FieldProblem[], first: FieldProblem, shown: FieldProblem[], omitted: number): string {
  if (problems.length === 1) return `${first.field}: ${first.message}`;
  const list = shown.map((p) => `${p.field}: ${p.message}`).join('; ');
  return `Request validation failed: ${list}${omitted > 0 ? `; and ${omitted} more problem${omitted === 1 ? '' : 's'}` : ''}`;
}

/** 400 ValidationError naming the field(s) at fault: at most MAX_REPORTED_PROBLEMS, with `omitted_problems` for the rest. */
export class ValidationError extends ApiError {
  override readonly name: string = 'ValidationError';
  constructor(problems: FieldProblem[]) {
    const first = clipped(problems[0] ?? { field: 'request', message: 'is invalid' });
    const shown = problems.slice(0, MAX_REPORTED_PROBLEMS).map(clipped);
    const omitted = problems.length - shown.length;
    super('ValidationError', messageOf(problems, first, shown, omitted), {
      field: first.field,
      validation_errors: shown,
      ...(omitted > 0 ? { omitted_problems: omitted } : {}),
    });
  }
}
