// Crash consistency on PostgreSQL with real processes and a PostgreSQL cluster this file owns (initdb'd
// into a temp dir, run as the postgres user; never the machine's shared server): the API killed with
// SIGKILL in the middle of a burst of submissions, a worker killed mid-render, and the database itself
// crashed (`pg_ctl stop -m immediate`) and started again while jobs are submitted and rendered. Each
// time every 202 names a stored job that finished exactly once, nothing stays queued or running, and
// no submission answered 503 is run later.
import { describe, expect, it } from 'vitest';
import { allJobs, expectEveryJobRunOnce, getJson } from '../support/job-audit.js';
import { postgresTtvFixture } from '../support/postgres-ttv-fixture.js';
import { waitFor } from '../support/wait-for.js';

const fx = postgresTtvFixture('pg_crash');

const RENDER = [
  'segment_duration_seconds: 0.5',
  'security: { rate_limit_per_minute: 100000 }',
  'logging: { level: warn }',
];

async function submit(api: string, prompt: string): Promise<{ status: number; id: string | null }> {
  const res = await fetch(`${api}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt }),
  });
  const body = (await res.json()) as { id?: string };
  return { status: res.status, id: res.status === 202 ? body.id! : null };
}

describe('PostgreSQL crash consistency', () => {
  it('runs every stored job once after the API is killed with SIGKILL in the middle of a submission burst', async () => {
    const { start } = await fx.setup([
      ...RENDER,
      'procedural: { width: 64, height: 36, fps: 12, max_segments: 1 }',
      'worker: { concurrency: 3, lease_seconds: 1, heartbeat_seconds: 0.2 }',
    ]);
    const first = await start('api');
    await start('worker');
    // Eight clients submit back to back so that requests are always in flight; the API is killed once
    // 40 have been answered, inside its submit path for the ones on the wire.
    const accepted: string[] = [];
    let answered = 0;
    let cutOff = 0;
    let killing: Promise<void> | null = null;
    await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        for (let i = 0; i < 40 && killing === null; i += 1) {
          try {
            const { status, id } = await submit(first.url, `Burst job ${c}-${i}.`);
            if (status !== 202) throw new Error(`unexpected ${status}`);
            accepted.push(id!);
          } catch (err) {
            if (killing === null) throw err;
            cutOff += 1; // cut off by the kill: the client never heard of this job (it may still be stored)
            return;
          }
          answered += 1;
          if (answered === 40) killing = first.kill('SIGKILL');
        }
      }),
    );
    await killing;
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(cutOff).toBeGreaterThan(0); // the kill did land in the middle of submissions
    const api = await start('api');
    const { jobs } = await expectEveryJobRunOnce(api.url, accepted);
    console.log(
      `PostgreSQL, API SIGKILL mid-burst: ${accepted.length} accepted, ${jobs.length} stored, all finished once; ` +
        `${jobs.length - accepted.length} of ${cutOff} cut-off submissions stored without a 202 reaching the client`,
    );
  }, 0);

  it('runs every job once when a worker is killed with SIGKILL mid-render', async () => {
    const { start } = await fx.setup([
      ...RENDER,
      'procedural: { width: 64, height: 36, fps: 12, max_segments: 2, simulated_latency_seconds: 0.4 }',
      'worker: { concurrency: 3, lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 6 }',
    ]);
    const api = await start('api');
    const accepted: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const { status, id } = await submit(api.url, `Render job ${i}. Second beat.`);
      expect(status).toBe(202);
      accepted.push(id!);
    }
    const doomed = await start('worker');
    // Killed while it renders: some job is past its claim and not yet ended.
    await waitFor(
      async () => {
        const jobs = await Promise.all(accepted.map(async (id) => (await getJson(`${api.url}/v1/jobs/${id}`)).body));
        return jobs.some((j) => j.status === 'progress' && Number(j.progress) > 0) ? true : null;
      },
      { timeoutMs: 60_000, what: 'a job mid-render' },
    );
    await doomed.kill('SIGKILL');
    await start('worker');
    const { jobs } = await expectEveryJobRunOnce(api.url, accepted);
    expect(jobs).toHaveLength(accepted.length);
  }, 0);

  it('loses and doubles nothing when PostgreSQL crashes (pg_ctl -m immediate) and restarts mid-run: 20 jobs', async () => {
    const { start } = await fx.setup([
      ...RENDER,
      'procedural: { width: 64, height: 36, fps: 12, max_segments: 2, simulated_latency_seconds: 0.3 }',
      'worker: { concurrency: 3, lease_seconds: 2, heartbeat_seconds: 0.3, max_attempts: 6 }',
    ]);
    const api = await start('api');
    const worker = await start('worker');
    const accepted: string[] = [];
    const refused: string[] = []; // prompts answered 503: none may ever be stored or run
    let crashing: Promise<void> | null = null;
    let n = 0;
    // Four clients submit until 20 jobs are accepted; the database crashes after the 6th 202, while
    // submissions are in flight and the first jobs render. Bounded: at most 400 attempts in all.
    const clients = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (accepted.length < 20 && n < 400) {
          const prompt = `Outage job ${(n += 1)}.`;
          const { status, id } = await submit(api.url, prompt).catch((err: unknown) => {
            throw new Error(`${String(err)} (API exit code ${api.child.exitCode}): ${api.output().slice(-2000)}`);
          });
          if (status === 202) {
            accepted.push(id!);
            if (accepted.length === 6) crashing = fx.server.restart({ mode: 'immediate' });
          } else if (status === 503) refused.push(prompt);
          else throw new Error(`unexpected ${status} for ${prompt}`);
          if (status === 503) await new Promise((r) => setTimeout(r, 100)); // as a client honouring Retry-After would, briefly
        }
      }),
    );
    // The restart is awaited whatever the clients met, so that it never runs on past the test.
    await clients.finally(() => crashing);
    expect(crashing).not.toBeNull();
    expect(accepted.length).toBeGreaterThanOrEqual(20);
    const { jobs } = await expectEveryJobRunOnce(api.url, accepted).catch(async (err: unknown) => {
      const failed = (await allJobs(api.url)).filter((j) => j.status !== 'finished');
      const logs = await Promise.all(
        failed.map(async (j) => (await getJson(`${api.url}/v1/jobs/${String(j.id)}/logs?tail=0`)).body.lines),
      );
      throw new Error(
        `${String(err)}\nnot finished: ${JSON.stringify(failed)}\n${JSON.stringify(logs)}\nworker: ${worker.output().slice(-1500)}`,
      );
    });
    const prompts = new Set(jobs.map((j) => String(j.prompt)));
    expect(refused.filter((p) => prompts.has(p))).toEqual([]);
    // Every stored job is one the clients were told about: none answered 503 or cut off was stored.
    expect(jobs.length).toBe(accepted.length);
    console.log(
      `PostgreSQL crash and restart mid-run: ${accepted.length} accepted, ${refused.length} answered 503 (none stored), all finished once`,
    );
  }, 0);
});
