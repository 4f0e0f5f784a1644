// Disk guard (worker.min_free_disk_mb) with the real statfs of the data dir: a threshold above the
// free space keeps a queued job queued (the worker declines to claim it) and /readyz names the reason;
// the same store restarted with a lower threshold runs the job and is ready again. Then a full tmpfs
// that gets space back.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { startService, type Service } from '../../../src/service.js';
import { FAST_PIPELINE, postJob } from '../../support/test-service.js';
import { waitFor } from '../../support/wait-for.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from '../../support/postgres.js';

const exec = promisify(execFile);
let dataDir: string;
let redis: RedisServer | null = null;
/** The describe's schema on PostgreSQL (in the machine's server), dropped after it. */
let schema: TestSchema | null = null;
const running: Service[] = [];

function start(
  minFreeMb: number,
  mode: { api: boolean; worker: boolean },
  lines: string[] = [],
  dir = dataDir,
): Promise<Service> {
  const config = configSchema.parse({
    data_dir: dir,
    server: { host: '127.0.0.1', port: 0 },
    ...FAST_PIPELINE,
    worker: { min_free_disk_mb: minFreeMb },
    retention: { sweep_interval_minutes: 0 },
    ...(redis ? { redis: { url: redis.url } } : {}),
    ...(schema ? { postgres: schema.config } : {}),
  });
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return startService({ config, ...mode, logger: pino({ level: 'info' }, sink) }).then((s) => {
    running.push(s);
    return s;
  });
}

async function stop(service: Service): Promise<void> {
  running.splice(running.indexOf(service), 1);
  await service.stop();
}

async function job(url: string, id: string): Promise<{ status: string }> {
  return (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as { status: string };
}

for (const adapter of ['sqlite', 'redis', 'postgres'] as const)
  describe(`disk guard (${adapter})`, () => {
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'ttv-disk-'));
      if (adapter === 'redis') redis = await startRedisServer();
      if (adapter === 'postgres') {
        await assertPostgresReachable();
        schema = testPostgresConfig();
      }
    });
    afterAll(async () => {
      await Promise.all(running.splice(0).map((s) => s.stop()));
      await redis?.stop();
      redis = null;
      await schema?.drop();
      schema = null;
      await rm(dataDir, { recursive: true, force: true });
    });

    it('keeps a job queued while free space is below worker.min_free_disk_mb, and runs it once the threshold is lowered', async () => {
      const stats = statfsSync(dataDir);
      const freeMb = (stats.bavail * stats.bsize) / (1024 * 1024);
      const above = Math.ceil(freeMb * 4) + 1024; // more than this filesystem could free up meanwhile

      // The job is queued before any worker exists, so the guarded worker's very first claim is the one it declines.
      const intake = await start(above, { api: true, worker: false });
      const res = await postJob(intake.url!, { prompt: 'A lighthouse at dawn.' });
      expect(res.status).toBe(202);
      const { id } = (await res.json()) as { id: string };
      await stop(intake);

      const lines: string[] = [];
      const guarded = await start(above, { api: true, worker: true }, lines);
      const declined = await waitFor(async () => lines.find((l) => l.includes('not taking new jobs')), {
        what: 'the worker to decline jobs',
      });
      expect(JSON.parse(declined).reason).toMatch(/below worker\.min_free_disk_mb/);
      expect((await job(guarded.url!, id)).status).toBe('queued');

      const ready = await fetch(`${guarded.url}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as {
        status: string;
        components: Record<string, string>;
        problems: { reason: string; message: string }[];
      };
      expect(body.status).toBe('not_ready');
      // Its only worker takes no job: workers is unhealthy too, and lists it with the reason.
      expect(body.components).toMatchObject({ disk: 'unhealthy', job_store: 'healthy', workers: 'unhealthy' });
      expect(body.problems).toEqual([
        {
          reason: 'low_disk_space',
          message: expect.stringMatching(
            /low disk space: \d+ MB free under the data dir, below worker\.min_free_disk_mb \(\d+ MB\)/,
          ),
        },
      ]);
      expect(body).toMatchObject({
        live_workers: 1,
        workers_blocked: [{ worker_id: guarded.worker!.id, reason: body.problems[0]!.message }],
      });
      expect(JSON.stringify(body)).not.toContain(dataDir);
      expect((await job(guarded.url!, id)).status).toBe('queued');
      await stop(guarded);

      const relaxed = await start(1, { api: true, worker: true });
      const done = await waitFor(
        async () => {
          const current = await job(relaxed.url!, id);
          return ['finished', 'failed', 'canceled'].includes(current.status) ? current : null;
        },
        { timeoutMs: 60_000, what: 'the job to run once the threshold is lowered' },
      );
      expect(done.status).toBe('finished');
      const readyAgain = (await waitFor(
        async () => {
          const r = await fetch(`${relaxed.url}/readyz`);
          return r.status === 200 ? r.json() : null;
        },
        { what: '/readyz to be ready again' },
      )) as { components: Record<string, string>; problems: { reason: string; message: string }[] };
      expect(readyAgain.components.disk).toBe('healthy');
      expect(readyAgain.problems).toEqual([]);
      await stop(relaxed);
    }, 120_000);

    it('lists a worker of another service (its own store connection) that takes no jobs in the /readyz of an API-only service: 503 while no worker can claim, 200 once one can', async () => {
      const stats = statfsSync(dataDir);
      const above = Math.ceil(((stats.bavail * stats.bsize) / (1024 * 1024)) * 4) + 1024;
      // The API's own disk is fine (its guard off; on a shared store even another data dir): only the worker's heartbeat can tell.
      const apiDir = adapter !== 'sqlite' ? await mkdtemp(join(tmpdir(), 'ttv-disk-api-')) : dataDir;
      try {
        const lines: string[] = [];
        const blocked = await start(above, { api: false, worker: true }, lines);
        await waitFor(async () => lines.find((l) => l.includes('not taking new jobs')), {
          what: 'the worker to decline jobs',
        });
        const api = await start(0, { api: true, worker: false }, [], apiDir);
        type Ready = {
          status: string;
          components: Record<string, string>;
          live_workers: number;
          workers_blocked: { worker_id: string; reason: string }[];
          problems: unknown[];
        };
        const readyz = async () => {
          const res = await fetch(`${api.url}/readyz`);
          return { status: res.status, body: (await res.json()) as Ready };
        };
        const unready = await waitFor(
          async () => {
            const r = await readyz();
            return r.body.live_workers === 1 ? r : null;
          },
          { what: 'the worker in /readyz' },
        );
        expect(unready.status).toBe(503);
        expect(unready.body).toMatchObject({
          status: 'not_ready',
          components: { disk: 'healthy', job_store: 'healthy', workers: 'unhealthy' },
          problems: [],
          workers_blocked: [
            {
              worker_id: blocked.worker!.id,
              reason: expect.stringMatching(
                /^low disk space: \d+ MB free under the data dir, below worker\.min_free_disk_mb \(\d+ MB\); new jobs wait$/,
              ),
            },
          ],
        });

        // A second worker with room: the service is ready, and still names the one that is not.
        const free = await start(0, { api: false, worker: true });
        const ready = await waitFor(
          async () => {
            const r = await readyz();
            return r.body.live_workers === 2 ? r : null;
          },
          { what: 'both workers in /readyz' },
        );
        expect(ready.status).toBe(200);
        expect(ready.body).toMatchObject({
          status: 'ready',
          components: { workers: 'healthy' },
          workers_blocked: [{ worker_id: blocked.worker!.id }],
        });
        expect(ready.body.workers_blocked).toHaveLength(1);
        // A job submitted now runs on the worker with room.
        const res = await postJob(api.url!, { prompt: 'A lighthouse at dawn.' });
        const { id } = (await res.json()) as { id: string };
        const done = await waitFor(
          async () => {
            const current = await job(api.url!, id);
            return ['finished', 'failed', 'canceled'].includes(current.status) ? current : null;
          },
          { timeoutMs: 60_000, what: 'the job to run on the worker with room' },
        );
        expect(done.status).toBe('finished');
        await stop(blocked);
        await stop(free);
        await stop(api);
      } finally {
        if (apiDir !== dataDir) await rm(apiDir, { recursive: true, force: true });
      }
    }, 120_000);
  });

// The same on a small tmpfs, freeing space instead of restarting: the running worker notices by itself.
describe('disk guard on a full tmpfs', () => {
  let mountPoint: string | null = null;
  afterAll(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop()));
    if (mountPoint) {
      await exec('umount', [mountPoint]).catch(() => undefined);
      await rm(mountPoint, { recursive: true, force: true });
    }
  });

  it('keeps the job queued while the disk is full and runs it once space is freed', async (ctx) => {
    const point = await mkdtemp(join(tmpdir(), 'ttv-tmpfs-'));
    try {
      await exec('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', point]);
    } catch (err) {
      await rm(point, { recursive: true, force: true });
      // Mounting needs root; outside CI a developer's machine may not allow it, under CI it must.
      if (process.env.CI === 'true') throw new Error(`could not mount a tmpfs (run the tests as root): ${String(err)}`);
      ctx.skip();
      return;
    }
    mountPoint = point;
    dataDir = join(point, 'data');
    const filler = join(point, 'filler.bin');
    await writeFile(filler, Buffer.alloc(40 * 1024 * 1024, 1)); // 64 MB disk, 40 MB used: below 32 MB free

    const lines: string[] = [];
    const svc = await start(32, { api: true, worker: true }, lines);
    await waitFor(async () => lines.find((l) => l.includes('not taking new jobs')), {
      what: 'the worker to decline jobs',
    });
    const res = await postJob(svc.url!, { prompt: 'A lighthouse at dawn.' });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const ready = (await (await fetch(`${svc.url}/readyz`)).json()) as {
      components: Record<string, string>;
      problems: { reason: string; message: string }[];
    };
    expect(ready.components.disk).toBe('unhealthy');
    expect(ready.problems.map((p) => `${p.reason}: ${p.message}`).join(' ')).toMatch(
      /below worker\.min_free_disk_mb \(32 MB\)/,
    );
    expect((await job(svc.url!, id)).status).toBe('queued');

    await rm(filler);
    const done = await waitFor(
      async () => {
        const current = await job(svc.url!, id);
        return ['finished', 'failed', 'canceled'].includes(current.status) ? current : null;
      },
      { timeoutMs: 60_000, what: 'the job to run once space is freed' },
    );
    expect(done.status).toBe('finished');
    expect(lines.some((l) => l.includes('taking jobs again'))).toBe(true);
    expect((await fetch(`${svc.url}/readyz`)).status).toBe(200);
  }, 120_000);
});
