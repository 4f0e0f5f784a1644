// A job database from before workers reported their claim state: its `workers` table gains the
// blocked_reason column when it is opened; a worker row written by an older version (no reason) counts
// as able to claim, and a new heartbeat's reason is read back.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { SqliteJobQueue } from '../../../src/jobs/sqlite/sqlite-job-queue.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

it('adds blocked_reason to an older workers table, keeping its rows', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ttv-workers-old-'));
  dirs.push(dir);
  const file = join(dir, 'ttv.db');
  const old = new Database(file);
  old.exec('CREATE TABLE workers (id TEXT PRIMARY KEY, heartbeat_at INTEGER NOT NULL)');
  old.prepare('INSERT INTO workers (id, heartbeat_at) VALUES (?, ?)').run('old-host:1:aaaa', Date.now());
  old.close();

  const queue = new SqliteJobQueue({ file });
  try {
    expect(await queue.workerStates()).toEqual([{ workerId: 'old-host:1:aaaa', canClaim: true, reason: null }]);
    const leases = queue.openLeases();
    await leases.workerBeat('new-host:2:bbbb', 'low disk space: 1 MB free under the data dir; new jobs wait');
    expect(await queue.workerStates()).toEqual([
      {
        workerId: 'new-host:2:bbbb',
        canClaim: false,
        reason: 'low disk space: 1 MB free under the data dir; new jobs wait',
      },
      { workerId: 'old-host:1:aaaa', canClaim: true, reason: null },
    ]);
    await leases.workerBeat('new-host:2:bbbb', null);
    expect((await queue.workerStates()).every((w) => w.canClaim)).toBe(true);
    await leases.close();
  } finally {
    await queue.close();
  }
});
