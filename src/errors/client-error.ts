// The one translation from any error to what a client may read: the job record's `error` (and so
// webhooks and `ttv status`), the HTTP envelope's message, and the CLI's output. Only a TtvError's
// publicMessage is shown; anything else (a bug, a raw fs or library error) becomes the fallback text.
// Host paths are cut and secrets redacted on every path out.
import { redactText } from '../logging/redact.js';
import { TtvError } from './ttv-error.js';
import type { ErrorCode } from './error-codes.js';
import { trimTrailingSlashes } from '../text/base-url.js';

export interface ClientErrorScope {
  /** The attempt's scratch dir: paths inside it are shown relative to it. */
  workDir?: string;
  /** Secret values to scrub besides the registered ones. */
  secrets?: readonly string[];
  /** The text shown for an error that is not ours. */
  fallback?: string;
}

export interface ClientError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
}

export const INTERNAL_ERROR_MESSAGE = 'An internal error occurred';

/**
 * Paths inside the work dir become relative to it, any other absolute path is cut to its file
 * name, so no host layout reaches a client.
 */
export function hideHostPaths(message: string, workDir: string): string {
  const root = trimTrailingSlashes(workDir);
  const relative = root ? message.split(`${root}/`).join('').split(root).join('.') : message;
  return relative.replace(/(?<![\w.:/-])\/(?:[^\s'":,;()/]+\/)+([^\s'":,;()/]+)/g, '…/$1');
}

export function toClientError(err: unknown, scope: ClientErrorScope = {}): ClientError {
  const ours = err instanceof TtvError ? err : null;
  // Redacted first: shortening paths could cut a secret that contains a slash into a fragment.
  let message = redactText(ours?.publicMessage ?? scope.fallback ?? INTERNAL_ERROR_MESSAGE, scope.secrets);
  if (ours?.publicMessage != null && scope.workDir !== undefined) message = hideHostPaths(message, scope.workDir);
  return {
    code: ours?.publicMessage != null ? ours.code : 'InternalError',
    message,
    retryable: ours?.retryable ?? false,
  };
}
