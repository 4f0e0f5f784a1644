import { TtvError } from './ttv-error.js';

/**
 * A vendor create call whose outcome is unknown: it was sent, and the answer (a 5xx the vendor does
 * not document as "not created", a timeout, a connection reset) does not say whether the task
 * exists. Sending it again could pay twice, so the segment fails with no re-create and no fallback
 * to another backend, and the job fails with this reason (never retried).
 */
export class VendorOutcomeUnknownError extends TtvError {
  override readonly name = 'VendorOutcomeUnknownError';
  constructor(
    readonly vendor: string,
    readonly what: string,
  ) {
    super(
      `${vendor}: vendor outcome unknown: the create call ${what}; it was not sent again, since the first task may exist and bill`,
      { code: 'VendorOutcomeUnknownError' },
    );
  }
}
