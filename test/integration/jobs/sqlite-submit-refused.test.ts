// On SQLite a submission answered 503 cannot run later: the submit is a synchronous transaction in
// the API process and settles only after its commit or its rollback. Here another connection holds
// the write lock past busy_timeout, so the submit is refused (StoreUnavailableError, the API's 503);
// once the lock is gone, no job from it exists, and the next submit is stored.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { SqliteJobQueue } from '../../../src/jobs/sqlite/sqlite-job-queue.js';
import { StoreUnavailableError } from '../../../src/errors/store-unavailable-error.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

it('a submit refused for a locked database stores nothing, then or later', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ttv-sqlite-refused-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'ttv.db');
  const queue = new SqliteJobQueue({ file });
  cleanup.push(() => queue.close());
  const stored = (await queue.submit({ prompt: 'before the lock' })).job.id;

  const locker = new Database(file);
  cleanup.push(() => {
    locker.close();
  });
  locker.exec('BEGIN IMMEDIATE'); // the write lock, held past busy_timeout
  await expect(
    queue.submit({ prompt: 'refused while locked' }, { idempotencyKey: 'k-refused' }),
  ).rejects.toBeInstanceOf(StoreUnavailableError);
  locker.exec('COMMIT');

  // Nothing of the refused submission appears: not in the list, not under its key.
  const prompts = async () => (await queue.list({ limit: 100 })).jobs.map((j) => j.prompt);
  expect(await prompts()).toEqual(['before the lock']);
  const again = await queue.submit({ prompt: 'refused while locked' }, { idempotencyKey: 'k-refused' });
  expect(again.outcome).toBe('created'); // not a replay: the key was never stored
  expect((await prompts()).sort()).toEqual(['before the lock', 'refused while locked']);
  expect(await queue.get(stored)).not.toBeNull();
}, 30_000);
