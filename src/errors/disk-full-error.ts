import { TtvError } from './ttv-error.js';

/**
 * A job's attempt ran out of disk space under the worker's data dir (ENOSPC from a file write or an
 * ffmpeg write, or a clip cut short while the disk guard reports low space). Not the job's fault: the
 * worker hands the job back to the queue and takes no new job until space is back (worker.ts).
 */
export class DiskFullError extends TtvError {
  override readonly name = 'DiskFullError';
  constructor(
    readonly dir: string,
    options: { cause?: unknown; detail?: string } = {},
  ) {
    super(`No space left on device under the data dir ${dir}${options.detail ? ` (${options.detail})` : ''}`, {
      code: 'DiskFull',
      cause: options.cause,
    });
  }
}

/** What ENOSPC looks like in an error's text: Node's "ENOSPC: no space left on device", ffmpeg's and the OS's "No space left on device". */
const OUT_OF_SPACE = /\bENOSPC\b|no space left on device|\bSQLITE_FULL\b|database or disk is full/i;

/**
 * Whether `err` (or an error it wraps: its cause chain, an AggregateError's errors) is the disk
 * running out of space. Looks at Node's error code, a subprocess's stderr tail (ffmpeg writes
 * "No space left on device") and the message text, because some layers keep only the text of the
 * error they caught (the fallback chain's summary of every backend's failure).
 */
export function isOutOfSpace(err: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [err];
  while (pending.length > 0) {
    const current = pending.pop();
    if (current === null || current === undefined || seen.has(current)) continue;
    seen.add(current);
    if (current instanceof DiskFullError) return true;
    if (typeof current === 'string') {
      if (OUT_OF_SPACE.test(current)) return true;
      continue;
    }
    if (typeof current !== 'object') continue;
    const e = current as {
      code?: unknown;
      message?: unknown;
      stderrTail?: unknown;
      vendorText?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (e.code === 'ENOSPC' || e.code === 'SQLITE_FULL') return true;
    // A vendor's own words ("No space left on device" on its servers) say nothing about our disk.
    const message =
      typeof e.message === 'string' && typeof e.vendorText === 'string' && e.vendorText
        ? e.message.split(e.vendorText).join('')
        : e.message;
    pending.push(message, e.stderrTail, e.cause);
    if (Array.isArray(e.errors)) pending.push(...(e.errors as unknown[]));
  }
  return false;
}
