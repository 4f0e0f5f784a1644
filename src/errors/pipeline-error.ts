/** A pipeline stage failed; the message is shown to the client as the job's `error`, so it never holds secrets. */
export class PipelineError extends Error {
  override readonly name = 'PipelineError';
  readonly stage: string;
  constructor(stage: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.stage = stage;
  }
}
