// The real `ttv serve` keeps what it writes to itself: the data dir it creates is 0700, and while a
// job runs every file in it (ffmpeg's keyframes in the job's scratch dir included: the process runs
// with umask 077, which its children inherit) is 0600 and every directory 0700.
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTtv, type TtvProcess } from '../support/ttv-process.js';
import { waitFor } from '../support/wait-for.js';

let parent: string;
let ttv: TtvProcess | undefined;
afterAll(async () => {
  await ttv?.kill();
  if (parent) await rm(parent, { recursive: true, force: true });
});

async function entries(root: string): Promise<{ path: string; mode: string; dir: boolean }[]> {
  const out: { path: string; mode: string; dir: boolean }[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, entry.name);
      const info = await stat(path).catch(() => null);
      if (!info) continue; // removed meanwhile
      out.push({ path: path.slice(root.length), mode: (info.mode & 0o777).toString(8), dir: entry.isDirectory() });
      if (entry.isDirectory()) await walk(path);
    }
  };
  await walk(root);
  return out;
}

describe('ttv serve on a new data dir', () => {
  it("creates it 0700 and keeps every file 0600 while a job runs, child processes' outputs included", async () => {
    parent = await mkdtemp(join(tmpdir(), 'ttv-serve-modes-'));
    const dataDir = join(parent, 'data');
    const config = join(parent, 'ttv.yaml');
    // Chained segments: the first clip and its last frame (both ffmpeg's) are written, then the next clip waits.
    await writeFile(
      config,
      'generation_mode: chaining\nsegment_duration_seconds: 1\nprocedural: { width: 160, height: 90, fps: 12, simulated_latency_seconds: 5 }\n',
    );
    ttv = await startTtv(['serve', '--port', '0', '--data-dir', dataDir, '--config', config]);
    const res = await fetch(`${ttv.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'A lantern on a pier. Fog rolls in.' }),
    });
    expect(res.status).toBe(202);
    const written = await waitFor(
      async () => {
        const found = await entries(dataDir);
        return found.some((e) => e.path.startsWith('/tmp/job_') && e.path.endsWith('.png')) &&
          found.some((e) => e.path.startsWith('/tmp/job_') && e.path.endsWith('.mp4'))
          ? found
          : null;
      },
      { timeoutMs: 60_000, what: "a clip and a frame in the job's scratch dir" },
    );
    expect(((await stat(dataDir)).mode & 0o777).toString(8)).toBe('700');
    expect(written.filter((e) => e.mode !== (e.dir ? '700' : '600')).map((e) => `${e.path} ${e.mode}`)).toEqual([]);
  }, 90_000);
});
