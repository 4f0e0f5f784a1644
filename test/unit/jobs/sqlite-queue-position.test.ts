// A new job's queue position comes from the per-status totals the triggers keep (sqlite-job-stats.ts):
// checked against a real COUNT(*) after every kind of write, from two connections on one file, and
// for a database from before the totals.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { SCHEMA_SQL } from '../../../src/stores/sqlite-schema.js';
import { SqliteJobQueue } from '../../../src/jobs/sqlite/sqlite-job-queue.js';

const dirs: string[] = [];
const opened: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((q) => q.close()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function databaseFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ttv-status-counts-'));
  dirs.push(dir);
  return join(dir, 'jobs.db');
}

/** The kept counts and the counted ones, read through a connection of the test's own. */
function countsIn(file: string): { kept: Record<string, number>; counted: Record<string, number> } {
  const db = new Database(file, { readonly: true });
  try {
    const kept = Object.fromEntries(
      (db.prepare('SELECT status, n FROM job_status_counts WHERE n > 0').all() as { status: string; n: number }[]).map(
        (r) => [r.status, r.n],
      ),
    );
    const counted = Object.fromEntries(
      (
        db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').all() as { status: string; n: number }[]
      ).map((r) => [r.status, r.n]),
    );
    return { kept, counted };
  } finally {
    db.close();
  }
}

it('keeps each status count equal to COUNT(*) through submit, claim, finish, hand-back, cancel and delete', async () => {
  const file = await databaseFile();
  const a = new SqliteJobQueue({ file });
  const b = new SqliteJobQueue({ file }); // another process's connection on the same file
  opened.push(a, b);

  const submitted = [];
  for (let i = 0; i < 6; i += 1) submitted.push((await (i % 2 ? b : a).submit({ prompt: `job ${i}` })).job);
  // A new job stands behind every queued one.
  expect(submitted.map((j) => j.queue_position)).toEqual([1, 2, 3, 4, 5, 6]);
  expect(countsIn(file)).toEqual({ kept: { queued: 6 }, counted: { queued: 6 } });

  const leases = a.openLeases();
  opened.push(leases);
  const first = await leases.claim('w1', 30_000, new AbortController().signal);
  const second = await leases.claim('w1', 30_000, new AbortController().signal);
  expect(first && second).toBeTruthy();
  expect(await leases.finish(first!, { artifactUri: 'file:///a.mp4', artifactKey: 'a', gcsUri: null }, 'done')).toBe(
    true,
  );
  expect(await leases.handBack(second!, 'shutting down', true)).toBe(true);
  expect((await b.cancel(submitted[4]!.id)).outcome).toBe('canceled');
  expect((await b.remove(first!.job.id)).outcome).toBe('removed');
  const state = countsIn(file);
  expect(state.kept).toEqual(state.counted);
  expect(state.counted).toEqual({ queued: 4, canceled: 1 });

  // The position of the next submission follows the kept count.
  expect((await a.submit({ prompt: 'last' })).job.queue_position).toBe(5);
  const last = countsIn(file);
  expect(last.kept).toEqual(last.counted);
});

it('counts the jobs of a database from before the counts when it is opened, then keeps them', async () => {
  const file = await databaseFile();
  const old = new Database(file);
  old.exec(SCHEMA_SQL);
  const insert = old.prepare(
    `INSERT INTO jobs (id, status, stage, prompt, request, created_at) VALUES (?, ?, 'queued', 'p', '{"prompt":"p"}', '2026-01-01T00:00:00Z')`,
  );
  ['queued', 'queued', 'finished', 'failed', 'finished'].forEach((status, i) =>
    insert.run(`00000000-0000-4000-8000-00000000000${i}`, status),
  );
  old.close();

  const queue = new SqliteJobQueue({ file });
  opened.push(queue);
  expect(countsIn(file).kept).toEqual({ queued: 2, finished: 2, failed: 1 });
  expect((await queue.submit({ prompt: 'new' })).job.queue_position).toBe(3);
  const after = countsIn(file);
  expect(after.kept).toEqual(after.counted);
});
