// The data dir and what ttv keeps in it are the user's alone: directories 0700, files 0600 (the
// database and its -wal/-shm, signing key, artifacts, scratch dirs), whatever the process umask
// (this test process runs with the usual 022); ttv's own subdirectories made 0755 by an older version
// are tightened on start; a data dir the CLI creates is 0700.
import { chmod, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkDataDir } from '../../../src/cli/startup-checks.js';
import { runJobsToFinished } from '../../support/job-status.js';
import { startTestService } from '../../support/test-service.js';
import { waitFor } from '../../support/wait-for.js';

/** Every entry under root: its path below root, its mode in octal, and whether it is a directory. */
async function modes(root: string): Promise<{ path: string; mode: string; dir: boolean }[]> {
  const out: { path: string; mode: string; dir: boolean }[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      out.push({
        path: path.slice(root.length),
        mode: ((await stat(path)).mode & 0o777).toString(8),
        dir: entry.isDirectory(),
      });
      if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(root);
  return out;
}

const scratch: string[] = [];
afterAll(async () => {
  for (const dir of scratch) await rm(dir, { recursive: true, force: true });
});

describe('files on disk', () => {
  it("keeps every directory 0700 and every file 0600 after a job, and tightens ttv's own dirs an older version left 0755", async () => {
    const parent = await mkdtemp(join(tmpdir(), 'ttv-modes-'));
    scratch.push(parent);
    const dataDir = join(parent, 'data');
    // An older version's layout: world-readable dirs.
    for (const dir of [dataDir, join(dataDir, 'artifacts'), join(dataDir, 'tmp')]) {
      await mkdir(dir, { recursive: true });
      await chmod(dir, 0o755);
    }
    const svc = await startTestService({ data_dir: dataDir });
    try {
      await runJobsToFinished(svc.url, ['A kite over a beach.'], { timeoutMs: 60_000 });
      // The attempt's scratch dir goes once the outcome is recorded. What ffmpeg wrote in it follows the
      // process umask (`ttv serve`/`ttv worker` set 077; this test process keeps 022), inside a 0700 dir.
      await waitFor(async () => (await readdir(join(dataDir, 'tmp'))).length === 0, {
        what: 'the scratch dir to be removed',
      });
    } finally {
      await svc.stop();
    }
    const found = await modes(dataDir);
    const mode = (path: string) => found.find((e) => e.path === path)?.mode;
    expect(found.some((e) => e.path.endsWith('/final_video.mp4'))).toBe(true);
    expect(mode('/ttv.db')).toBe('600');
    expect(mode('/signing.key')).toBe('600');
    expect(mode('/artifacts')).toBe('700');
    expect(mode('/tmp')).toBe('700');
    expect(found.filter((e) => e.mode !== (e.dir ? '700' : '600')).map((e) => `${e.path} ${e.mode}`)).toEqual([]);
    // A data dir that existed keeps its owner's mode (the service warns about it).
    expect(((await stat(dataDir)).mode & 0o777).toString(8)).toBe('755');
  });

  it('creates a missing data dir (and the levels above it) 0700', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'ttv-datadir-'));
    scratch.push(parent);
    await chmod(parent, 0o755);
    const dataDir = join(parent, 'a', 'b');
    checkDataDir(dataDir);
    expect(((await stat(join(parent, 'a'))).mode & 0o777).toString(8)).toBe('700');
    expect(((await stat(dataDir)).mode & 0o777).toString(8)).toBe('700');
    expect(((await stat(parent)).mode & 0o777).toString(8)).toBe('755');
  });
});
