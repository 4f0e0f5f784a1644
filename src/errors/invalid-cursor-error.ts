import { TtvError } from './ttv-error.js';

/** A list cursor that this adapter did not issue. The API answers 400. */
export class InvalidCursorError extends TtvError {
  override readonly name = 'InvalidCursorError';
  constructor() {
    super('cursor is not valid');
  }
}
