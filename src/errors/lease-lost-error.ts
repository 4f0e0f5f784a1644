import { TtvError } from './ttv-error.js';

/** A write refused because this attempt no longer holds the job's lease (canceled, or another worker took it). */
export class LeaseLostError extends TtvError {
  override readonly name = 'LeaseLostError';
  constructor(
    readonly jobId: string,
    readonly state: 'canceled' | 'lost',
  ) {
    super(
      `job ${jobId}: this attempt no longer holds the job (${state === 'canceled' ? 'canceled' : 'another attempt took it over'}); nothing was written`,
      { code: 'LeaseLostError' },
    );
  }
}
