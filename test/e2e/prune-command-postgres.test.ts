// `ttv prune` as a real process against a PostgreSQL job store that an API process and a worker (real
// `ttv` processes) use: jobs that ended before the window go with their log lines, journal events,
// segment records and artifact files; a job that ended within it and a queued job (however old) stay
// whole. "Old" is made by moving the ended jobs' finished_at (and the queued job's created_at) ten days
// back in the database, so the window is an ordinary one day. The schema is the test's own in the
// machine's PostgreSQL server, dropped afterwards.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTtv, startTtv, type TtvProcess } from '../support/ttv-process.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from '../support/postgres.js';
import { waitFor } from '../support/wait-for.js';
import { jobOf, submitJob } from '../support/job-audit.js';

let schema: TestSchema;
let dataDir: string;
let base: string;
let window: string;
const procs: TtvProcess[] = [];

beforeAll(async () => {
  await assertPostgresReachable();
  schema = testPostgresConfig();
  dataDir = await mkdtemp(join(tmpdir(), 'ttv-prune-pg-'));
  base = join(dataDir, 'ttv.yaml');
  await writeFile(
    base,
    [
      `postgres: { url: "${schema.config.url}", schema: "${schema.config.schema}" }`,
      'segment_duration_seconds: 0.5',
      'procedural: { width: 160, height: 90, fps: 12, max_segments: 1 }',
      'retention: { sweep_interval_minutes: 0 }',
      'security: { rate_limit_per_minute: 100000, read_rate_limit_per_minute: 100000 }',
      '',
    ].join('\n'),
  );
  window = join(dataDir, 'prune.yaml');
  await writeFile(window, 'retention:\n  jobs_days: 1\n  artifacts_days: 1\n');
});

afterAll(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
  await schema?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

async function start(args: string[]): Promise<TtvProcess> {
  const p = await startTtv(args);
  procs.push(p);
  return p;
}

async function sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: schema.config.url });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${schema.config.schema}"`);
    return (await client.query<T>(text, params)).rows;
  } finally {
    await client.end();
  }
}

/** Rows a job has in each table (by its id): jobs, job_logs, job_events, job_segments. */
async function rowsOf(id: string): Promise<{ jobs: number; logs: number; events: number; segments: number }> {
  const [row] = await sql<{ jobs: number; logs: number; events: number; segments: number }>(
    `SELECT (SELECT COUNT(*)::int FROM jobs WHERE id = $1) AS jobs,
       (SELECT COUNT(*)::int FROM job_logs l JOIN jobs j ON j.seq = l.job_seq WHERE j.id = $1) AS logs,
       (SELECT COUNT(*)::int FROM job_events e JOIN jobs j ON j.seq = e.job_seq WHERE j.id = $1) AS events,
       (SELECT COUNT(*)::int FROM job_segments WHERE job_id = $1) AS segments`,
    [id],
  );
  return row!;
}

describe('ttv prune on PostgreSQL', () => {
  it('removes the jobs that ended before the window with their logs, events and files, and keeps the rest', async () => {
    const args = ['--config', base, '--data-dir', dataDir];
    const api = await start(['serve', '--no-worker', '--port', '0', ...args]);
    const worker = await start(['worker', ...args]);
    await waitFor(async () => ((await fetch(`${api.url}/readyz`)).status === 200 ? true : null), {
      timeoutMs: 60_000,
      what: 'ready',
    });
    const old = [await submitJob(api.url, 'An old lantern.'), await submitJob(api.url, 'An old kettle.')];
    const recent = await submitJob(api.url, 'A recent candle.');
    const ended = await waitFor(
      async () => {
        const jobs = await Promise.all([...old, recent].map((id) => jobOf(api.url, id)));
        return jobs.every((j) => j.status === 'finished') ? jobs : null;
      },
      { timeoutMs: 60_000, what: 'three finished jobs' },
    );
    const files = new Map(ended.map((j) => [String(j.id), fileURLToPath(String(j.artifact_uri))]));
    // A canceled job is a terminal one too; it goes the same way when old.
    const canceled = await submitJob(api.url, 'An old cancel.');
    expect((await fetch(`${api.url}/v1/jobs/${canceled}/cancel`, { method: 'POST' })).status).toBe(200);
    await waitFor(async () => ((await jobOf(api.url, canceled)).status === 'canceled' ? true : null), {
      what: 'the canceled job',
    });
    old.push(canceled);
    // No worker from here on: the next job stays queued, however old it is made.
    await worker.kill('SIGTERM');
    const queued = await submitJob(api.url, 'A queued one.');
    expect((await jobOf(api.url, queued)).status).toBe('queued');

    await sql(`UPDATE jobs SET finished_at = finished_at - interval '10 days' WHERE id = ANY($1::text[])`, [old]);
    await sql(`UPDATE jobs SET created_at = created_at - interval '10 days' WHERE id = $1`, [queued]);
    const before = new Map(
      await Promise.all([...old, recent, queued].map(async (id) => [id, await rowsOf(id)] as const)),
    );
    for (const id of [...old, recent, queued]) {
      expect(before.get(id)!.jobs, id).toBe(1);
      expect(before.get(id)!.logs, id).toBeGreaterThan(0);
      expect(before.get(id)!.events, id).toBeGreaterThan(0);
    }

    const dry = await runTtv(['prune', '--dry-run', '-c', base, '-c', window, '--data-dir', dataDir], 60_000);
    expect(dry.code, dry.stderr).toBe(0);
    const listed = [...dry.stdout.matchAll(/^job\t(\S+)\t(\w+)\tended /gm)].map((m) => [m[1], m[2]]);
    expect(listed.map(([id]) => id).sort()).toEqual([...old].sort());
    expect(listed.find(([id]) => id === canceled)![1]).toBe('canceled');
    expect(dry.stderr).toMatch(/would remove 3 jobs \(ended before .*\) and 0 artifact files/);
    for (const id of [...old, recent, queued]) expect(await rowsOf(id)).toEqual(before.get(id));
    expect([...files.values()].every((f) => existsSync(f))).toBe(true);

    const real = await runTtv(['prune', '-c', base, '-c', window, '--data-dir', dataDir], 60_000);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stderr).toMatch(/removed 3 jobs \(ended before .*\) and 0 artifact files/);
    for (const id of old) expect(await rowsOf(id), id).toEqual({ jobs: 0, logs: 0, events: 0, segments: 0 });
    for (const id of [recent, queued]) expect(await rowsOf(id), id).toEqual(before.get(id));
    for (const id of old.filter((o) => files.has(o))) expect(existsSync(files.get(id)!), id).toBe(false);
    expect(existsSync(files.get(recent)!)).toBe(true);

    // Another process deleted them: the API process may serve its cached terminal record for up to a second.
    for (const id of old) {
      await waitFor(async () => (await fetch(`${api.url}/v1/jobs/${id}`)).status === 404, {
        what: `job ${id} to answer 404`,
      });
      expect((await fetch(`${api.url}/v1/jobs/${id}/logs`)).status).toBe(404);
      expect((await fetch(`${api.url}/v1/jobs/${id}/events`)).status).toBe(404);
    }
    expect((await jobOf(api.url, recent)).status).toBe('finished');
    expect((await jobOf(api.url, queued)).status).toBe('queued');
    const { lines } = (await (await fetch(`${api.url}/v1/jobs/${recent}/logs?tail=0`)).json()) as { lines: string[] };
    expect(lines.some((l) => l.includes('Video generation completed'))).toBe(true);
    const all = (await (await fetch(`${api.url}/v1/jobs?limit=100`)).json()) as { jobs: { id: string }[] };
    expect(all.jobs.map((j) => j.id).sort()).toEqual([recent, queued].sort());
  }, 180_000);
});
