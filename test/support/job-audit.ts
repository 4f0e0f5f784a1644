// What the crash tests check after the dust settles, through the API only: every job the store holds,
// and that every accepted job is stored and finished exactly once (one completion line in its log).
import { expect } from 'vitest';
import { waitForProgress } from './wait-for.js';

export const getJson = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** Every job the store holds, through the paginated list. */
export async function allJobs(api: string): Promise<Record<string, unknown>[]> {
  const jobs: Record<string, unknown>[] = [];
  let cursor: string | null = null;
  do {
    const page = (await getJson(`${api}/v1/jobs?limit=100${cursor ? `&cursor=${cursor}` : ''}`)).body as {
      jobs: Record<string, unknown>[];
      next_cursor: string | null;
    };
    jobs.push(...page.jobs);
    cursor = page.next_cursor;
  } while (cursor);
  return jobs;
}

const TERMINAL = ['finished', 'failed', 'canceled'];

/** What a repair of a crash leftover would write in a job's log (there is none to repair any more). */
export const REPAIR_NOTE = 'Job enqueued again';

/**
 * Waits (by progress) until every stored job has ended, then checks that every 202 the clients got
 * names a stored job and that every stored job finished, once. Returns the stored jobs and the ids
 * of those whose log says `repairNote` (enqueued again by a repair).
 */
export async function expectEveryJobRunOnce(api: string, accepted: string[], repairNote = REPAIR_NOTE) {
  let jobs: Record<string, unknown>[] = [];
  await waitForProgress(
    async () => {
      jobs = await allJobs(api);
      const ended = jobs.filter((j) => TERMINAL.includes(String(j.status))).length;
      return { done: ended === jobs.length, progress: ended };
    },
    { stallMs: 60_000, intervalMs: 250, what: 'every stored job to end' },
  );
  const stored = new Set(jobs.map((j) => String(j.id)));
  for (const id of accepted) expect(stored.has(id)).toBe(true);
  const repaired: string[] = [];
  for (const job of jobs) {
    expect(job.status).toBe('finished');
    const { body } = await getJson(`${api}/v1/jobs/${String(job.id)}/logs?tail=0`);
    const lines = body.lines as string[];
    expect(lines.filter((l) => l.includes('Video generation completed'))).toHaveLength(1);
    if (lines.some((l) => l.includes(repairNote))) repaired.push(String(job.id));
  }
  return { jobs, repaired };
}

/**
 * Submits a job and returns its id, as a client should: a 503 (the store did not answer within the
 * request path's 2 s, as on an overloaded machine) is tried again after its Retry-After, a few times.
 */
export async function submitJob(url: string, prompt: string): Promise<string> {
  for (let attempt = 1; ; attempt += 1) {
    const res = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt }),
    });
    if (res.status === 503 && attempt < 4) {
      await res.arrayBuffer();
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
      continue;
    }
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  }
}

/** A job's public record. */
export async function jobOf(url: string, id: string): Promise<Record<string, unknown>> {
  return (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
}

/** Every log line a job keeps. */
export async function jobLogs(url: string, id: string): Promise<string[]> {
  return ((await (await fetch(`${url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] }).lines;
}
