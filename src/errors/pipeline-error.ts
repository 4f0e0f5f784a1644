import { TtvError, type TtvErrorExtras } from './ttv-error.js';

/** The video pipeline failed; the message is shown to the client as the job's `error`, so it never holds secrets. */
export class PipelineError extends TtvError {
  override readonly name = 'PipelineError';
  constructor(message: string, options?: TtvErrorExtras) {
    super(message, { ...options, code: 'PipelineError' });
  }
}
