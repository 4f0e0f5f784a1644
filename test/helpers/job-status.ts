// Waits for a job on a running API to reach one of `statuses` (by default, any end but canceled).
import { waitFor } from './wait-for.js';

export const ENDED = ['finished', 'failed'] as const;

export async function waitForJobStatus(
  url: string,
  id: string,
  statuses: readonly string[] = ENDED,
  options: { timeoutMs?: number } = {},
): Promise<Record<string, unknown>> {
  return waitFor(async () => {
    const job = (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
    return statuses.includes(String(job.status)) ? job : null;
  }, { timeoutMs: options.timeoutMs ?? 30_000, what: `job ${id} to reach ${statuses.join('/')}` });
}
