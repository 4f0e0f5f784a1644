// Which PostgreSQL failures mean "the store cannot be reached now" (the API answers 503, a worker
// retries), as opposed to a bug or a refused statement. Shared by every store on PostgreSQL.
import { StoreUnavailableError } from '../errors/store-unavailable-error.js';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * SQLSTATEs of a server that is going away, overloaded or timing out: 08 connection exceptions,
 * 53 insufficient resources, 57P01..03 shutting down / starting up, 57014 a statement timeout,
 * 40001/40P01 a conflict whose retry succeeds, 55P03 a lock not available in time.
 */
function transientSqlState(code: string): boolean {
  return (
    code.startsWith('08') ||
    code.startsWith('53') ||
    ['57P01', '57P02', '57P03', '57014', '40001', '40P01', '55P03'].includes(code)
  );
}

// node-postgres's own words for a connection it lost, never had, or gave up waiting on.
const DRIVER_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|not queryable|Cannot use a pool after calling end|connect ECONN|the database system is (starting up|shutting down)/i;

export function isPostgresUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || (code.length === 5 && transientSqlState(code))))
    return true;
  return DRIVER_MESSAGES.test(err.message);
}

/** The error to throw for `err`: StoreUnavailableError (503) when the store cannot be reached, else `err`. */
export function postgresStoreError(err: unknown, what = 'Job store'): unknown {
  if (err instanceof StoreUnavailableError) return err;
  if (isPostgresUnavailable(err)) return new StoreUnavailableError(`${what} unavailable (PostgreSQL)`, { cause: err });
  return err;
}
