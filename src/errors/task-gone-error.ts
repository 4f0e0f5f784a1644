import { TtvError } from './ttv-error.js';

/** A recorded vendor task the vendor no longer knows (404 on its id): nothing runs or bills for it. */
export class TaskGoneError extends TtvError {
  override readonly name = 'TaskGoneError';
  constructor(
    readonly backend: string,
    readonly taskId: string,
  ) {
    super(`${backend}: recorded task ${taskId} no longer exists at the vendor`, { code: 'TaskGoneError' });
  }
}
