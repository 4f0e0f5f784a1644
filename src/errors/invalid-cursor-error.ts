import { ValidationError } from './validation-error.js';

/** A list cursor that this adapter did not issue: 400 ValidationError naming `cursor`. */
export class InvalidCursorError extends ValidationError {
  override readonly name = 'InvalidCursorError';
  constructor() {
    super([{ field: 'cursor', message: 'is not a cursor this server issued' }]);
  }
}
