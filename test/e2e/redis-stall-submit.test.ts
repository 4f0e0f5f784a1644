// A submission answered 503 never runs, on real processes: clients submit without an Idempotency-Key
// while redis-server is stopped with SIGSTOP for longer than the API's 2 s request timeout, so
// requests are answered 503 while their submit commands wait, unread, in Redis's socket. When Redis
// resumes it runs them; each must find its deadline passed and store nothing (a stored job would be
// claimable at once: the submit script also makes it ready). Afterwards the store holds exactly the
// jobs whose submissions were answered 202, and each of those finished once.
import { describe, expect, it } from 'vitest';
import { redisTtvFixture } from '../support/redis-ttv-fixture.js';
import { waitFor, waitForProgress } from '../support/wait-for.js';

const fx = redisTtvFixture('stall');

interface Job {
  id: string;
  prompt: string;
  status: string;
}

async function allJobs(api: string): Promise<Job[]> {
  const jobs: Job[] = [];
  let cursor: string | null = null;
  do {
    const page = (await (await fetch(`${api}/v1/jobs?limit=100${cursor ? `&cursor=${cursor}` : ''}`)).json()) as {
      jobs: Job[];
      next_cursor: string | null;
    };
    jobs.push(...page.jobs);
    cursor = page.next_cursor;
  } while (cursor);
  return jobs;
}

describe('Redis stalled past the request timeout', () => {
  it('stores no job for a submission answered 503; every 202 finishes once', async () => {
    const { start } = await fx.setup([
      'segment_duration_seconds: 0.5',
      'procedural: { width: 64, height: 36, fps: 12, max_segments: 1 }',
      'security: { rate_limit_per_minute: 100000 }',
      'worker: { concurrency: 3, lease_seconds: 2, heartbeat_seconds: 0.5 }',
      'logging: { level: warn }',
    ]);
    const api = await start('api');
    await start('worker');
    await waitFor(async () => ((await fetch(`${api.url}/readyz`)).status === 200 ? true : null), {
      timeoutMs: 60_000,
      what: 'ready',
    });

    const accepted = new Map<string, string>(); // prompt → job id
    const refused: string[] = []; // prompts answered 503
    let refusedWhilePaused = 0;
    let paused = false;
    let stop = false;
    const clients = Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        for (let i = 0; !stop; i += 1) {
          const prompt = `Stalled submit ${c}-${i}.`;
          const res = await fetch(`${api.url}/v1/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ prompt }),
          });
          const body = (await res.json()) as { id?: string };
          if (res.status === 202) accepted.set(prompt, body.id!);
          else if (res.status === 503) {
            refused.push(prompt);
            if (paused) refusedWhilePaused += 1;
          } else throw new Error(`unexpected ${res.status}: ${JSON.stringify(body)}`);
        }
      }),
    );
    const redisPid = fx.redis.process.pid!;
    try {
      await waitFor(async () => (accepted.size >= 16 ? true : null), {
        timeoutMs: 60_000,
        what: 'submissions under way',
      });
      process.kill(redisPid, 'SIGSTOP');
      paused = true;
      // Every client's request in flight (and those after it) waits out the request timeout.
      await waitFor(async () => (refusedWhilePaused >= 16 ? true : null), {
        timeoutMs: 120_000,
        what: '503 answers while Redis is stopped',
      });
    } finally {
      process.kill(redisPid, 'SIGCONT');
      paused = false;
    }
    const before = accepted.size;
    await waitFor(async () => (accepted.size >= before + 16 ? true : null), {
      timeoutMs: 60_000,
      what: 'submissions accepted again',
    });
    stop = true;
    await clients;

    let jobs: Job[] = [];
    await waitForProgress(
      async () => {
        jobs = await allJobs(api.url);
        const ended = jobs.filter((j) => ['finished', 'failed', 'canceled'].includes(j.status)).length;
        return { done: ended === jobs.length, progress: ended };
      },
      { stallMs: 60_000, intervalMs: 250, what: 'every stored job to end' },
    );

    // Exactly the 202s are stored: no submission answered 503 ran when Redis resumed.
    const storedPrompts = jobs.map((j) => j.prompt).sort();
    expect(storedPrompts.filter((p) => refused.includes(p))).toEqual([]);
    expect(storedPrompts).toEqual([...accepted.keys()].sort());
    expect(new Set(jobs.map((j) => j.id))).toEqual(new Set(accepted.values()));
    for (const job of jobs) {
      expect(job.status).toBe('finished');
      const { lines } = (await (await fetch(`${api.url}/v1/jobs/${job.id}/logs?tail=0`)).json()) as { lines: string[] };
      expect(lines.filter((l) => l.includes('Video generation completed'))).toHaveLength(1);
    }
    expect(refusedWhilePaused).toBeGreaterThanOrEqual(16);
    console.log(
      `Redis SIGSTOP: ${accepted.size} accepted (all finished once), ${refused.length} answered 503 (${refusedWhilePaused} while stopped), none stored`,
    );
  }, 0);
});
