// SIGKILL of a worker while a local model runs: the model lives on in its own process group
// (re-parented to init). A new worker's retry of the job must end that group (it ignores SIGTERM
// here, so only the SIGKILL after the grace ends it) before it starts the model again: never two
// models at once. Real `ttv` processes on SQLite, Redis and PostgreSQL, the fake Wan2.1 scripts (test/fakes/wan2.1).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTtv, type TtvProcess } from '../support/ttv-process.js';
import { waitFor, waitForProgress } from '../support/wait-for.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { isGone } from '../support/process-gone.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from '../support/postgres.js';

const FAKES = resolve(import.meta.dirname, '../fakes');
let root: string;
let pidfile: string;
let config: string;
let env: Record<string, string>;
const processes: TtvProcess[] = [];
const modelPids: number[] = [];
let redis: RedisServer | null = null;
/** On PostgreSQL: a schema of the describe's own in the machine's server, dropped after it. */
let schema: TestSchema | null = null;

async function readPids(): Promise<[number, number]> {
  const text = await waitFor(async () => existsSync(pidfile) && readFileSync(pidfile, 'utf8'), {
    timeoutMs: 60_000,
    what: 'the model pidfile',
  });
  const [model, grandchild] = text.trim().split(/\s+/).map(Number);
  modelPids.push(model!, grandchild!);
  return [model!, grandchild!];
}

async function start(args: string[]): Promise<TtvProcess> {
  const proc = await startTtv([...args, '-c', config], env);
  processes.push(proc);
  return proc;
}

async function setUp(adapter: 'sqlite' | 'redis' | 'postgres'): Promise<void> {
  if (adapter === 'redis') redis = await startRedisServer();
  if (adapter === 'postgres') {
    await assertPostgresReachable();
    schema = testPostgresConfig();
  }
  root = await mkdtemp(join(tmpdir(), 'ttv-pgroups-'));
  const wan = join(root, 'Wan2.1');
  await mkdir(wan, { recursive: true });
  await mkdir(join(root, 'i2v'), { recursive: true });
  await symlink(join(FAKES, 'wan2.1', 'generate.py'), join(wan, 'generate.py'));
  pidfile = join(root, 'model.pid');
  config = join(root, 'ttv.yaml');
  await writeFile(
    config,
    [
      `data_dir: ${join(root, 'data')}`,
      'server: { host: 127.0.0.1, port: 0 }',
      'default_backend: wan2.1',
      `wan2_dir: ${wan}`,
      `i2v_model_dir: ${join(root, 'i2v')}`,
      'generation_mode: chaining',
      'total_gpus: 1',
      'parallel_segments: 1',
      'segment_duration_seconds: 1',
      'frame_num: 17',
      `local_backends: { python_path: python3, torchrun_path: ${join(FAKES, 'wan2.1', 'torchrun')}, kill_grace_seconds: 0.5 }`,
      // A short lease so that the dead worker's job is recovered quickly; a short grace before SIGKILL.
      'worker: { lease_seconds: 2, heartbeat_seconds: 0.5, cancel_grace_seconds: 0.5, max_attempts: 3, concurrency: 1 }',
      'retention: { sweep_interval_minutes: 0 }',
      ...(redis ? [`redis: { url: "${redis.url}" }`] : []),
      ...(schema ? [`postgres: { url: "${schema.config.url}", schema: "${schema.config.schema}" }`] : []),
      '',
    ].join('\n'),
  );
  env = {
    FAKE_MODEL_LOG: join(root, 'calls.jsonl'),
    FAKE_MODEL_HANG: '1',
    FAKE_MODEL_IGNORE_TERM: '1',
    FAKE_MODEL_PIDFILE: pidfile,
  };
}

async function tearDown(): Promise<void> {
  await Promise.all(processes.splice(0).map((p) => p.kill('SIGKILL')));
  for (const pid of modelPids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await redis?.stop();
  redis = null;
  await schema?.drop();
  schema = null;
  await rm(root, { recursive: true, force: true });
}

for (const adapter of ['sqlite', 'redis', 'postgres'] as const)
  describe(`child process groups across a worker crash (${adapter})`, () => {
    beforeAll(() => setUp(adapter), 30_000);
    afterAll(tearDown);

    it('the retry ends the model the killed worker left running before it starts a second one', async () => {
      const api = await start(['serve', '--no-worker']);
      const first = await start(['worker']);
      const res = await fetch(`${api.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'A lighthouse.' }),
      });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      const [model, grandchild] = await readPids();
      expect(existsSync(join(root, 'data', 'run'))).toBe(true);

      await first.kill('SIGKILL');
      // The crash alone ends nothing: the model's group outlives its worker.
      expect([isGone(model), isGone(grandchild)]).toEqual([false, false]);
      await rm(pidfile);

      const second = await start(['worker']);
      // The retry's model writes a new pidfile only after the old group has been dealt with.
      const [model2, grandchild2] = await readPids();
      expect(model2).not.toBe(model);
      expect([isGone(model), isGone(grandchild)]).toEqual([true, true]);
      expect([isGone(model2), isGone(grandchild2)]).toEqual([false, false]);
      const calls = readFileSync(env.FAKE_MODEL_LOG!, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { prog: string; pid: number });
      expect(calls.filter((c) => c.prog === 'generate.py').map((c) => c.pid)).toEqual([model, model2]);
      const lines = ((await (await fetch(`${api.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] }).lines;
      expect(lines.some((l) => l.includes(`Ended process group ${model} left running by attempt 1`))).toBe(true);
      expect(lines.findIndex((l) => l.includes('Ended process group'))).toBeLessThan(
        lines.findIndex((l) => l.includes('(attempt 2,')),
      );

      // Cancel ends the second group; its record goes when the attempt settles.
      expect((await fetch(`${api.url}/v1/jobs/${id}/cancel`, { method: 'POST' })).status).toBe(200);
      await waitFor(async () => isGone(model2) && isGone(grandchild2), {
        timeoutMs: 30_000,
        what: 'the second model to be ended by the cancel',
      });
      await waitForProgress(
        async () => {
          const left = existsSync(join(root, 'data', 'run')) ? readdirSync(join(root, 'data', 'run')) : [];
          return { done: left.length === 0, progress: -left.length };
        },
        { what: 'the process-group records to be removed' },
      );
      await second.kill('SIGTERM');
    }, 180_000);
  });
