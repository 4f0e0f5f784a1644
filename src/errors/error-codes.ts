// Every error code ttv raises, in one table: the class that raises it, the HTTP status an answer of
// that code has, what a client reads when the error brings no text of its own, and whether trying
// again may succeed. Every TtvError takes its code from here (ttv-error.ts), and the API answers by
// looking its code up (api/plugins/error-handler.ts). The codes an HTTP client reads are PascalCase,
// as the Python server's; the others name failures inside ttv, for logs, job logs and the CLI.
//
// This module imports nothing, so that every error class may import it.

export interface ErrorCodeEntry {
  /**
   * The class that raises the code. ApiError (the HTTP layer's own refusals: auth, routing, limits,
   * conflicts) may raise any code a client reads, and TtvError itself any code, when it re-raises
   * an error under the code it already had.
   */
  readonly className: string;
  /** The HTTP status of an answer with this code (an error may name another for one case: QueueFull of the whole queue is 503). */
  readonly status: number;
  /**
   * What a client reads when an error of this code has no public text (or, for StorageError raised
   * by the store, the words before what failed); null for a failure inside ttv, which an HTTP
   * client reads as InternalServerError.
   */
  readonly message: string | null;
  /** The default: whether the same request or work may succeed if tried again. */
  readonly retryable: boolean;
  /** The Retry-After (header and details.retry_after) of every answer with this code. */
  readonly retryAfterSeconds?: number;
}

/** A failure inside ttv: answered 500 InternalServerError; its own text goes to logs, job logs and the CLI. */
const internal = (className: string, retryable = false) =>
  ({ className, status: 500, message: null, retryable }) as const;

export const ERROR_CODES = {
  // What an HTTP client reads: {"error": code, "message", "details", "timestamp", "request_id", "retryable"}.
  ValidationError: { className: 'ValidationError', status: 400, message: 'Bad request', retryable: false },
  Unauthorized: {
    className: 'ApiError',
    status: 401,
    message: 'Missing or invalid authorization header',
    retryable: false,
  },
  BudgetExceeded: {
    className: 'BudgetExceededError',
    status: 402,
    message: 'Monthly budget exceeded',
    retryable: false,
  },
  Forbidden: { className: 'ApiError', status: 403, message: 'Forbidden', retryable: false },
  JobNotFound: { className: 'JobNotFoundError', status: 404, message: 'Job not found', retryable: false },
  ArtifactNotReady: { className: 'ApiError', status: 404, message: 'Artifact not ready', retryable: false },
  NotFound: { className: 'ApiError', status: 404, message: 'Not found', retryable: false },
  MethodNotAllowed: {
    className: 'ApiError',
    status: 405,
    message: 'Method not allowed on this path',
    retryable: false,
  },
  Conflict: { className: 'ApiError', status: 409, message: 'Conflict', retryable: false },
  PayloadTooLarge: { className: 'ApiError', status: 413, message: 'Request body too large', retryable: false },
  UnsupportedMediaType: {
    className: 'ApiError',
    status: 415,
    message: 'Content-Type must be application/json',
    retryable: false,
  },
  MisdirectedRequest: { className: 'ApiError', status: 421, message: 'Host refused', retryable: false },
  IdempotencyKeyMismatch: {
    className: 'ApiError',
    status: 422,
    message: 'Idempotency-Key was already used with a different request body',
    retryable: false,
  },
  RateLimitExceeded: { className: 'ApiError', status: 429, message: 'Rate limit exceeded', retryable: true },
  QueueFull: {
    className: 'QueueFullError',
    status: 429,
    message: 'The queue is full',
    retryable: true,
    retryAfterSeconds: 30,
  },
  InternalServerError: {
    className: 'ApiError',
    status: 500,
    message: 'An internal server error occurred',
    retryable: false,
  },
  ServiceUnavailable: {
    className: 'StoreUnavailableError',
    status: 503,
    message: 'Job store is unavailable; try again shortly',
    retryable: true,
    retryAfterSeconds: 5,
  },
  StorageError: {
    className: 'StorageError',
    status: 503,
    message: 'Artifact storage failed',
    retryable: true,
    retryAfterSeconds: 5,
  },

  // Failures inside ttv.
  InternalError: internal('TtvError'),
  // The PostgreSQL store's schema was migrated by a newer ttv (stores/postgres-migrations.ts).
  StoreSchemaTooNew: internal('StoreSchemaTooNewError'),
  AllBackendsFailedError: internal('AllBackendsFailedError'),
  ApiClientError: internal('ApiClientError'),
  CanceledError: internal('CanceledError'),
  CatalogFileError: internal('CatalogFileError'),
  ConfigError: internal('ConfigError'),
  DiskFull: internal('DiskFullError', true),
  EdgeConfigError: internal('EdgeConfigError'),
  GenerationError: internal('GenerationError'),
  ImageGone: internal('TtvError'),
  ImageRefusedError: internal('ImageRefusedError'),
  LeaseLostError: internal('LeaseLostError'),
  OutboundRefusedError: internal('OutboundRefusedError'),
  PipelineError: internal('PipelineError'),
  PlanningError: internal('PlanningError'),
  ProcessError: internal('ProcessError'),
  ProcessTimeout: internal('ProcessTimeoutError'),
  StartupError: internal('StartupError'),
  TaskGoneError: internal('TaskGoneError'),
  UnsafeBindError: internal('UnsafeBindError'),
  VendorError: internal('VendorError'),
  VendorOutcomeUnknownError: internal('VendorOutcomeUnknownError'),
} as const satisfies Record<string, ErrorCodeEntry>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The codes an HTTP client reads (a failure inside ttv is answered as InternalServerError). */
export type PublicErrorCode = {
  [C in ErrorCode]: (typeof ERROR_CODES)[C]['message'] extends string ? C : never;
}[ErrorCode];

export function isPublicCode(code: ErrorCode): code is PublicErrorCode {
  return ERROR_CODES[code].message !== null;
}
