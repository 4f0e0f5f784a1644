/**
 * The base of every error ttv raises on purpose. `code` names the kind (stable, for logs and
 * envelopes); `publicMessage` is the text a client may read, or null when the message may hold
 * internals (then clients see a generic text); `retryable` says whether the same work may succeed
 * if tried again.
 */
export interface TtvErrorOptions {
  code?: string;
  /** Defaults to the message; null keeps the message from clients. */
  publicMessage?: string | null;
  retryable?: boolean;
  cause?: unknown;
}

export class TtvError extends Error {
  readonly code: string;
  readonly publicMessage: string | null;
  readonly retryable: boolean;

  constructor(message: string, options: TtvErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? new.target.name;
    this.publicMessage = options.publicMessage === undefined ? message : options.publicMessage;
    this.retryable = options.retryable ?? false;
  }
}
