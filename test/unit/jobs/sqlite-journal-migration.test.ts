// A job database from before the store-wide journal: its events get global numbers in (job, n)
// order when it is opened, and new events follow them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { SCHEMA_SQL } from '../../../src/stores/sqlite-schema.js';
import { SqliteJobQueue } from '../../../src/jobs/sqlite/sqlite-job-queue.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

it('numbers the events of an older database and appends after them', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ttv-journal-old-'));
  dirs.push(dir);
  const file = join(dir, 'jobs.db');
  const old = new Database(file);
  old.exec(SCHEMA_SQL);
  for (const [seq, id] of [
    [1, '00000000-0000-4000-8000-000000000001'],
    [2, '00000000-0000-4000-8000-000000000002'],
  ] as const) {
    old
      .prepare(
        `INSERT INTO jobs (seq, id, status, stage, prompt, request, created_at, event_seq) VALUES (?, ?, 'finished', 'done', 'p', '{"prompt":"p"}', '2026-01-01T00:00:00Z', 2)`,
      )
      .run(seq, id);
    old
      .prepare('INSERT INTO job_events (job_seq, n, type, data) VALUES (?, 1, ?, ?), (?, 2, ?, ?)')
      .run(seq, 'status', '{"status":"queued"}', seq, 'status', '{"status":"finished"}');
  }
  old.close();

  const queue = new SqliteJobQueue({ file });
  try {
    const before = await queue.journal(null, 10);
    expect(before.map((e) => [e.id, e.jobId.slice(-1), e.eventId, e.data.status])).toEqual([
      ['1', '1', '1', 'queued'],
      ['2', '1', '2', 'finished'],
      ['3', '2', '1', 'queued'],
      ['4', '2', '2', 'finished'],
    ]);
    const { job } = await queue.submit({ prompt: 'new' });
    const after = await queue.journal('4', 10);
    expect(after.length).toBeGreaterThan(0);
    expect(after.every((e) => e.jobId === job.id && Number(e.id) > 4)).toBe(true);
  } finally {
    await queue.close();
  }
});
