// The embedded store's stats() reads totals kept by triggers (sqlite-job-stats.ts): they must equal a
// count over the jobs table after every kind of write, and a database written before the triggers is
// counted once when opened.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { SCHEMA_SQL } from '../../../src/stores/sqlite-schema.js';
import { SqliteJobQueue } from '../../../src/jobs/sqlite/sqlite-job-queue.js';
import type { QueueStats } from '../../../src/jobs/job-queue.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ttv-job-stats-'));
  dirs.push(dir);
  return join(dir, 'jobs.db');
}

/** What stats() used to compute by scanning every job. */
function recount(file: string): QueueStats {
  const db = new Database(file, { readonly: true });
  try {
    const counts: Record<string, number> = {};
    for (const row of db.prepare('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status').all() as {
      status: string;
      n: number;
    }[])
      counts[row.status] = row.n;
    const avg =
      (
        db
          .prepare(
            `SELECT AVG((julianday(finished_at) - julianday(started_at)) * 86400.0) AS s
      FROM jobs WHERE status = 'finished' AND started_at IS NOT NULL`,
          )
          .get() as { s: number | null }
      ).s ?? 0;
    return {
      queued: counts.queued ?? 0,
      active: (counts.started ?? 0) + (counts.progress ?? 0),
      finished: counts.finished ?? 0,
      failed: counts.failed ?? 0,
      canceled: counts.canceled ?? 0,
      total: Object.values(counts).reduce((a, b) => a + b, 0),
      averageProcessingSeconds: Math.round(avg * 1000) / 1000,
    };
  } finally {
    db.close();
  }
}

it('keeps the counts and the mean processing time equal to a recount through submit, run, fail, cancel and delete', async () => {
  const file = await tempFile();
  const queue = new SqliteJobQueue({ file, consumer: { pollMs: 10 } });
  try {
    const ids: string[] = [];
    for (let i = 0; i < 12; i += 1) ids.push((await queue.submit({ prompt: `job ${i}` })).job.id);
    expect(await queue.stats()).toEqual(recount(file));
    await queue.cancel(ids[0]!);
    await queue.cancel(ids[1]!);
    let settled = 0;
    let allSettled!: () => void;
    const done = new Promise<void>((resolve) => {
      allSettled = resolve;
    });
    let n = 0;
    const consumer = queue.consume({
      concurrency: 3,
      handler: async (ctx) => {
        n += 1;
        await ctx.progress(50, 'segments');
        if (n % 3 === 0) throw new Error('planned failure');
        return { artifactUri: `file:///a/${ctx.job.id}.mp4`, artifactKey: `a/${ctx.job.id}.mp4`, gcsUri: null };
      },
      onSettled: () => {
        settled += 1;
        if (settled === 10) allSettled();
      },
    });
    await done;
    await consumer.close(1000);
    const afterRun = await queue.stats();
    expect(afterRun).toEqual(recount(file));
    expect(afterRun).toMatchObject({ queued: 0, active: 0, canceled: 2, total: 12 });
    expect(afterRun.finished + afterRun.failed).toBe(10);
    for (const id of ids.slice(0, 6)) expect((await queue.remove(id)).outcome).toBe('removed');
    const afterRemove = await queue.stats();
    expect(afterRemove).toEqual(recount(file));
    expect(afterRemove.total).toBe(6);
  } finally {
    await queue.close();
  }
});

it('counts a database written before the totals existed when it is opened, then keeps counting', async () => {
  const file = await tempFile();
  const old = new Database(file);
  old.exec(SCHEMA_SQL);
  const insert = old.prepare(`INSERT INTO jobs (id, status, stage, prompt, request, created_at, started_at, finished_at)
    VALUES (?, ?, 'done', 'p', '{"prompt":"p"}', '2026-01-01T00:00:00.000Z', ?, ?)`);
  insert.run(
    '00000000-0000-4000-8000-000000000001',
    'finished',
    '2026-01-01T00:00:00.000Z',
    '2026-01-01T00:00:03.000Z',
  );
  insert.run(
    '00000000-0000-4000-8000-000000000002',
    'finished',
    '2026-01-01T00:00:00.000Z',
    '2026-01-01T00:00:05.000Z',
  );
  insert.run('00000000-0000-4000-8000-000000000003', 'failed', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z');
  insert.run('00000000-0000-4000-8000-000000000004', 'queued', null, null);
  old.close();

  const queue = new SqliteJobQueue({ file });
  try {
    expect(await queue.stats()).toEqual({
      queued: 1,
      active: 0,
      finished: 2,
      failed: 1,
      canceled: 0,
      total: 4,
      averageProcessingSeconds: 4,
    });
    await queue.submit({ prompt: 'new' });
    expect(await queue.remove('00000000-0000-4000-8000-000000000002')).toMatchObject({ outcome: 'removed' });
    expect(await queue.stats()).toEqual({
      queued: 2,
      active: 0,
      finished: 1,
      failed: 1,
      canceled: 0,
      total: 4,
      averageProcessingSeconds: 3,
    });
  } finally {
    await queue.close();
  }
  // A second open does not count again (the totals are already there and kept).
  const again = new SqliteJobQueue({ file });
  try {
    expect(await again.stats()).toEqual(recount(file));
  } finally {
    await again.close();
  }
});
