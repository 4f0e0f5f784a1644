// Waits for a job on a running API to reach one of `statuses` (by default, any end but canceled).
import { waitFor } from './wait-for.js';

export const ENDED = ['finished', 'failed'] as const;

export async function waitForJobStatus(
  url: string,
  id: string,
  statuses: readonly string[] = ENDED,
  options: { timeoutMs?: number } = {},
): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const job = (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
      return statuses.includes(String(job.status)) ? job : null;
    },
    { timeoutMs: options.timeoutMs ?? 30_000, what: `job ${id} to reach ${statuses.join('/')}` },
  );
}

/** Submits one job per prompt and waits until all of them have finished; resolves with their ids. */
export async function runJobsToFinished(
  url: string,
  prompts: string[],
  options: { timeoutMs?: number } = {},
): Promise<string[]> {
  const ids: string[] = [];
  for (const prompt of prompts) {
    const res = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt }),
    });
    ids.push(((await res.json()) as { id: string }).id);
  }
  await waitFor(
    async () => {
      const states = await Promise.all(
        ids.map(async (id) => ((await (await fetch(`${url}/v1/jobs/${id}`)).json()) as { status: string }).status),
      );
      return states.every((s) => s === 'finished') || null;
    },
    { timeoutMs: options.timeoutMs ?? 30_000, what: `${ids.length} jobs to finish` },
  );
  return ids;
}
