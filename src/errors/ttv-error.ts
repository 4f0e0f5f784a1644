import { ERROR_CODES, type ErrorCode } from './error-codes.js';

/**
 * The base of every error ttv raises on purpose. `code` names the kind (stable, for logs and
 * envelopes; every code is a row of error-codes.ts); `publicMessage` is the text a client may read,
 * or null when the message may hold internals (then clients see a generic text); `retryable` says
 * whether the same work may succeed if tried again; `details` are facts a client may read beside
 * the message (the HTTP envelope's `details`).
 */
export interface TtvErrorOptions {
  code: ErrorCode;
  /** Defaults to the message; null keeps the message from clients. */
  publicMessage?: string | null;
  /** Defaults to the code's (error-codes.ts). */
  retryable?: boolean;
  details?: Record<string, unknown> | null;
  cause?: unknown;
}

/** What a subclass lets its callers set: the class gives the code. */
export type TtvErrorExtras = Omit<TtvErrorOptions, 'code'>;

export class TtvError extends Error {
  readonly code: ErrorCode;
  readonly publicMessage: string | null;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | null;

  constructor(message: string, options: TtvErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.publicMessage = options.publicMessage === undefined ? message : options.publicMessage;
    // `?.`: a code cast past the compiler must not make the error itself throw (the table's test names it).
    this.retryable =
      options.retryable ?? (ERROR_CODES[options.code] as { retryable: boolean } | undefined)?.retryable ?? false;
    this.details = options.details ?? null;
  }
}

/** The first error with `code` in `err`'s cause chain (the pipeline wraps what its stages throw), or null. */
export function errorWithCode(err: unknown, code: ErrorCode): TtvError | null {
  for (let e = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth += 1)
    if (e instanceof TtvError && e.code === code) return e;
  return null;
}
