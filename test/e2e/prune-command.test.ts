// `ttv prune` as a real process against the SQLite store of a running service: --dry-run lists the
// expired jobs and files and removes nothing; without it they are gone and the API answers 404.
// The window (retention.*_days) is a fraction of a second, so jobs that just ended are already past it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TTV_BIN } from '../support/ttv-process.js';
import { startTestService, type TestService } from '../support/test-service.js';
import { runJob, type JobView } from '../support/backend-jobs.js';
import { waitFor } from '../support/wait-for.js';

const exec = promisify(execFile);

async function prune(args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [TTV_BIN, 'prune', ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let svc: TestService;
let jobs: JobView[];
let config: string;

beforeAll(async () => {
  svc = await startTestService({ retention: { sweep_interval_minutes: 0 } });
  jobs = [(await runJob(svc)).job, (await runJob(svc)).job];
  config = join(svc.dataDir, 'prune.yaml');
  // ~9 ms windows (1e-7 days): both jobs and both artifact files are past them when the command runs.
  await writeFile(config, 'retention:\n  jobs_days: 0.0000001\n  artifacts_days: 0.0000001\n');
}, 120_000);

afterAll(async () => {
  await svc?.close();
});

describe('ttv prune', () => {
  it('--dry-run lists expired jobs and files and deletes nothing; a real run deletes them', async () => {
    const files = jobs.map((j) => fileURLToPath(j.artifact_uri as string));
    const dry = await prune(['--dry-run', '-c', config, '--data-dir', svc.dataDir]);
    expect(dry.code, dry.stderr).toBe(0);
    for (const job of jobs) expect(dry.stdout).toMatch(new RegExp(`^job\\t${job.id}\\tfinished\\tended `, 'm'));
    expect(dry.stdout.match(/^file\t/gm)).toHaveLength(2);
    expect(dry.stderr).toMatch(/would remove 2 jobs .* and 2 artifact files/);
    expect(files.every((f) => existsSync(f))).toBe(true);
    for (const job of jobs) expect((await fetch(`${svc.url}/v1/jobs/${job.id}`)).status).toBe(200);

    const real = await prune(['-c', config, '--data-dir', svc.dataDir]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stderr).toMatch(/removed 2 jobs .* and 0 artifact files/); // the files went with their jobs
    expect(files.some((f) => existsSync(f))).toBe(false);
    // Another process deleted them: this API process may serve its cached terminal record for up to a second.
    for (const job of jobs) {
      await waitFor(async () => (await fetch(`${svc.url}/v1/jobs/${job.id}`)).status === 404, {
        what: `job ${job.id} to answer 404`,
      });
    }
    const listed = (await (await fetch(`${svc.url}/v1/jobs`)).json()) as { jobs: unknown[] };
    expect(listed.jobs).toEqual([]);
  });
});
