// What a vendor's failed create call means: none of today's vendors takes an idempotency key for
// create, so a create may only be sent again when the failure is known to mean "not created".
// Each backend states its vendor's rule (with the source of the documented retryable statuses) in
// its own protocol code and hands it to VendorClient with the create call.

/** A vendor's documented answers to a create that mean "nothing was created, send it again". */
export interface CreateRule {
  /** 5xx statuses the vendor documents as retryable (Runway: 502, 503, 504). 429 always is. */
  retryableStatuses: readonly number[];
  /** Where the list was read (a vendor docs page), for the reader of the rule. */
  source: string;
}

/** Network error codes that mean the request never reached the vendor (nothing was sent). */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** Whether a network error (fetch's or an SDK's, with causes nested) happened before the request was sent. */
export function failedBeforeSending(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 6; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_SENT_CODES.has(code)) return true;
    // fetch refuses a blocked port before connecting.
    if ((e as Error).message === 'bad port') return true;
    const errors = (e as { errors?: unknown }).errors; // AggregateError of a multi-address connect
    if (Array.isArray(errors) && errors.length > 0 && errors.every((x) => failedBeforeSending(x))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** Whether a create answered with this status may be sent again under `rule`. */
export function createMayRepeat(rule: CreateRule, status: number): boolean {
  return status === 429 || rule.retryableStatuses.includes(status);
}

/** Whether a create that failed with this status left its outcome unknown (the task may exist). */
export function createOutcomeUnknown(rule: CreateRule, status: number): boolean {
  return (status === 408 || status >= 500) && !createMayRepeat(rule, status);
}
