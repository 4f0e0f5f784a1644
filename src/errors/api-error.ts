import { ERROR_CODES, type ErrorCodeEntry, type PublicErrorCode } from './error-codes.js';
import { TtvError } from './ttv-error.js';

export interface ApiErrorOptions {
  /** Defaults to the code's (error-codes.ts). */
  retryable?: boolean;
  /** Answer headers (WWW-Authenticate, Allow, a computed Retry-After). */
  headers?: Record<string, string>;
  /** The HTTP status, when this answer's is not its code's (a URL too long is 414 ValidationError). */
  status?: number;
  /** The text the client reads, when the message is for the log. */
  publicMessage?: string;
  cause?: unknown;
}

/**
 * An error answered to an HTTP client as it is: its code (one a client reads), public text and
 * details in the documented envelope, with the status of its code. The HTTP layer raises it for its
 * own refusals; the classes whose answer is theirs to give (ValidationError, QueueFullError, …)
 * extend it.
 */
export class ApiError extends TtvError {
  declare readonly code: PublicErrorCode;
  declare readonly publicMessage: string;
  override readonly name: string = 'ApiError';
  readonly statusCode: number;
  readonly headers: Record<string, string>;

  constructor(
    code: PublicErrorCode,
    message?: string,
    details: Record<string, unknown> | null = null,
    options: ApiErrorOptions = {},
  ) {
    const entry: ErrorCodeEntry = ERROR_CODES[code];
    const text = message ?? entry.message ?? '';
    const retryAfter = entry.retryAfterSeconds;
    super(text, {
      code,
      publicMessage: options.publicMessage ?? text,
      retryable: options.retryable,
      details: retryAfter === undefined ? details : { ...details, retry_after: retryAfter },
      cause: options.cause,
    });
    this.statusCode = options.status ?? entry.status;
    this.headers =
      retryAfter === undefined ? { ...options.headers } : { 'retry-after': String(retryAfter), ...options.headers };
  }
}
