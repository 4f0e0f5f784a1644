// Submissions of one event-loop turn share one SQLite commit: each stands or falls alone, none is
// answered before it is committed, and a rollback of the whole transaction writes none of them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { GroupCommit } from '../../../src/jobs/sqlite/group-commit.js';
import { SqliteJobQueue } from '../../../src/jobs/sqlite/sqlite-job-queue.js';
import { QueueFullError } from '../../../src/errors/queue-full-error.js';

const dirs: string[] = [];
const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function freshFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ttv-group-commit-'));
  dirs.push(dir);
  return join(dir, 'test.db');
}

/** The rows another connection sees: the committed ones. */
function committedRows(file: string): string[] {
  const reader = new Database(file, { readonly: true });
  try {
    return (reader.prepare('SELECT v FROM t ORDER BY rowid').all() as { v: string }[]).map((r) => r.v);
  } finally {
    reader.close();
  }
}

async function openTable(file: string): Promise<Database.Database> {
  const db = new Database(file);
  closers.push(() => db.close());
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (v TEXT NOT NULL UNIQUE)');
  return db;
}

it('commits the writes of one turn together, each in its own savepoint, and answers after the commit', async () => {
  const file = await freshFile();
  const db = await openTable(file);
  const group = new GroupCommit(db);
  let seenFromOutside: string[] | null = null;
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const write = (v: string) =>
    group.run(() => {
      insert.run(v);
      if (v === 'refused') throw new Error('refused on purpose');
      // From inside the last write of the turn, another connection sees none of the turn's writes yet.
      if (v === 'c') seenFromOutside = committedRows(file);
      return v;
    });
  const answers = await Promise.allSettled([write('a'), write('refused'), write('b'), write('a'), write('c')]);
  expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
  // The refused write and the duplicate rolled back alone; the rest are committed and visible elsewhere.
  expect(committedRows(file)).toEqual(['a', 'b', 'c']);
  expect(seenFromOutside).toEqual([]);

  // Writes of later turns are later transactions.
  await write('d');
  expect(committedRows(file)).toEqual(['a', 'b', 'c', 'd']);
});

it('writes nothing of a batch whose transaction SQLite rolled back, and commits none on its own', async () => {
  const file = await freshFile();
  const db = await openTable(file);
  // RAISE(ROLLBACK) ends the whole transaction, as a full disk or an I/O error does.
  db.exec(
    `CREATE TRIGGER poison AFTER INSERT ON t WHEN NEW.v = 'poison' BEGIN SELECT RAISE(ROLLBACK, 'rolled back'); END`,
  );
  const group = new GroupCommit(db);
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const write = (v: string) => group.run(() => insert.run(v));
  const answers = await Promise.allSettled([write('before'), write('poison'), write('after')]);
  expect(answers.map((a) => a.status)).toEqual(['rejected', 'rejected', 'rejected']);
  expect(committedRows(file)).toEqual([]);
  expect(db.inTransaction).toBe(false);
  await write('next');
  expect(committedRows(file)).toEqual(['next']);
});

it('gives concurrent submissions to the job store one commit, with positions and limits as if one by one', async () => {
  const file = await freshFile();
  const queue = new SqliteJobQueue({ file });
  closers.push(() => queue.close());
  const answers = await Promise.allSettled(
    Array.from({ length: 8 }, (_, i) => queue.submit({ prompt: `burst ${i}` }, { maxQueued: 5 })),
  );
  const created = answers.filter(
    (a): a is PromiseFulfilledResult<Awaited<ReturnType<typeof queue.submit>>> => a.status === 'fulfilled',
  );
  expect(created.map((a) => a.value.job.queue_position)).toEqual([1, 2, 3, 4, 5]);
  expect(created.map((a) => a.value.job.prompt)).toEqual(['burst 0', 'burst 1', 'burst 2', 'burst 3', 'burst 4']);
  const refused = answers.filter((a): a is PromiseRejectedResult => a.status === 'rejected');
  expect(refused).toHaveLength(3);
  for (const r of refused) expect(r.reason).toBeInstanceOf(QueueFullError);

  // One key sent twice in the same turn: the second is the first's replay, not a second job.
  const [first, second] = await Promise.all([
    queue.submit({ prompt: 'keyed' }, { idempotencyKey: 'same-key' }),
    queue.submit({ prompt: 'keyed' }, { idempotencyKey: 'same-key' }),
  ]);
  expect(first.outcome).toBe('created');
  expect(second).toMatchObject({ outcome: 'replayed', job: { id: first.job.id } });

  // Everything answered is there for a connection of its own.
  const reader = new Database(file, { readonly: true });
  try {
    expect((reader.prepare('SELECT COUNT(*) AS n FROM jobs').get() as { n: number }).n).toBe(6);
  } finally {
    reader.close();
  }
});
