// What a vendor error may say: the vendor's own short reason and the host, nothing after it
// (paths and query strings of vendor URLs can carry ids and signatures).
import { redactedClip } from '../../logging/redact.js';

/** Characters of a vendor's reason kept in a job's log and error. */
export const REASON_CHARS = 160;

/**
 * The vendor's own error text, redacted and then shortened, for the job log and error: a vendor may
 * echo our key, and a key cut before redaction would leave all but its end readable.
 */
export function reasonOf(body: unknown): string {
  const b = body as {
    error?: { message?: string; code?: unknown } | string;
    message?: string;
    name?: string;
    detail?: unknown;
  } | null;
  let text: unknown = '';
  if (typeof b?.error === 'string') text = b.error;
  else if (b?.error) text = typeof b.error.code === 'string' ? b.error.code : (b.error.message ?? b.error.code);
  else text = b?.message ?? (typeof b?.detail === 'string' ? b.detail : b?.name) ?? '';
  return redactedClip(String(text ?? ''), REASON_CHARS);
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'an invalid URL';
  }
}

/** "timeout" or "connection failed", for an error fetch() or an SDK threw. */
export function networkFailure(err: unknown): string {
  return (err as Error | null)?.name === 'TimeoutError' ? 'timeout' : 'connection failed';
}
