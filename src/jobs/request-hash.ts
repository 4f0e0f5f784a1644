import { createHash } from 'node:crypto';
import type { JobRequest } from './job.js';

/** Stable hash of a job request, to tell an idempotent replay from a key reused with another body. */
export function requestHash(request: JobRequest): string {
  const canonical = JSON.stringify(
    Object.keys(request)
      .sort()
      .map((k) => [k, (request as unknown as Record<string, unknown>)[k]]),
  );
  return createHash('sha256').update(canonical).digest('hex');
}
