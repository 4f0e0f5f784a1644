// Process-group records with real processes: a recorded group outlives the code that started it,
// a later attempt of the job ends it (SIGKILL when SIGTERM is ignored), a record whose pid now
// belongs to another process (start time differs) is never signalled, and records go once settled.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AttemptProcessGroups, processStartTime } from '../../../src/worker/attempt-process-groups.js';
import { runProcess } from '../../../src/media/process-runner.js';
import { observeSpawns } from '../../../src/media/spawn-observer.js';

let dir: string;
const children: ChildProcess[] = [];

/** A detached group leader that ignores SIGTERM, like a model that does not stop when asked. */
function stubbornGroup(): ChildProcess {
  const child = spawn(
    'python3',
    [
      '-c',
      'import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint("up", flush=True)\nwhile True: time.sleep(1000)',
    ],
    { detached: true, stdio: ['ignore', 'pipe', 'ignore'] },
  );
  children.push(child);
  return child;
}

async function up(child: ChildProcess): Promise<number> {
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return child.pid!;
}

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-pgroups-'));
});
afterEach(async () => {
  for (const child of children.splice(0)) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await rm(dir, { recursive: true, force: true });
});

/** Shell: waits (up to ~10 s) until `dir` has an entry. */
const waitForEntry = (dir: string) =>
  `i=0; while [ -z "$(ls -A "${dir}")" ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done`;

describe('AttemptProcessGroups', () => {
  it('records what an attempt spawns and drops the record when the process ends', async () => {
    const groups = new AttemptProcessGroups({ dir, graceMs: 200 });
    const jobId = randomUUID();
    let seen: string[] = [];
    await observeSpawns(groups.observer(jobId, 1), () =>
      runProcess('sh', ['-c', `${waitForEntry(dir)}; ls "${dir}"`]),
    ).then((r) => {
      seen = r.stdout.trim().split('\n');
    });
    // While it ran, its record was there (the child listed it once it appeared: the parent writes it
    // right after the spawn, which can be after the child starts); afterwards it is gone.
    expect(seen).toEqual([expect.stringMatching(new RegExp(`^${jobId}_a1_\\d+\\.json$`))]);
    expect(readdirSync(dir)).toEqual([]);
    // Outside observeSpawns nothing is recorded.
    await runProcess('true', []);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a later attempt ends a group an earlier one left alive, with SIGKILL when SIGTERM is ignored', async () => {
    const groups = new AttemptProcessGroups({ dir, graceMs: 300 });
    const jobId = randomUUID();
    const pid = await up(stubbornGroup());
    groups.observer(jobId, 1).spawned(pid); // as runProcess reports it; its worker then "dies"
    expect(groups.records(jobId)).toHaveLength(1);
    expect(groups.isAlive(groups.records(jobId)[0]!)).toBe(true);

    const started = Date.now();
    const ended = await groups.endEarlierAttempts(jobId, 2);
    expect(ended.map((r) => r.pgid)).toEqual([pid]);
    expect(gone(pid)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250); // SIGTERM was ignored: only the SIGKILL after the grace ended it
    expect(readdirSync(dir)).toEqual([]);
    // Same attempt or another job: nothing to end.
    expect(await groups.endEarlierAttempts(jobId, 2)).toEqual([]);
  });

  it('never signals a process that merely reuses a recorded pid', async () => {
    const groups = new AttemptProcessGroups({ dir, graceMs: 100 });
    const jobId = randomUUID();
    const pid = await up(stubbornGroup());
    const start = processStartTime(pid);
    expect(start).not.toBeNull();
    // A record from an earlier life of this pid: same number, another start time.
    writeFileSync(
      join(dir, `${jobId}_a1_${pid}.json`),
      JSON.stringify({ job_id: jobId, attempt: 1, pgid: pid, started: `${start}0`, boot_id: null, host: hostname() }),
    );
    expect(await groups.endEarlierAttempts(jobId, 2)).toEqual([]);
    expect(gone(pid)).toBe(false);
    expect(existsSync(join(dir, `${jobId}_a1_${pid}.json`))).toBe(false);
  });
});
