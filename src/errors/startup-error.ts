import { TtvError } from './ttv-error.js';

/** A problem that stops `ttv serve`/`ttv worker` before anything starts: names the path or flag and what to do. */
export class StartupError extends TtvError {
  override readonly name = 'StartupError';
  constructor(message: string) {
    super(message, { code: 'StartupError' });
  }
}
