// Crash consistency on Redis with real processes: the API killed (SIGKILL) in the middle of a burst of
// submissions leaves no job that is never run, also when the kill is aimed at submissions waiting
// inside Redis (each is one script: it stores the record and its ready entry together, or nothing);
// a Redis restarted without persistence is noticed, in /readyz and in the log, both while ttv runs
// and by a ttv started afterwards on the same data dir, and one restarted with AOF is not mistaken
// for a loss.
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { startRedisServer } from '../support/redis-server.js';
import { argvFor, redisTtvFixture } from '../support/redis-ttv-fixture.js';
import { expectEveryJobRunOnce, getJson, REPAIR_NOTE } from '../support/job-audit.js';
import { waitFor, waitForProgress } from '../support/wait-for.js';

const fx = redisTtvFixture('crash');
const { procs } = fx;

describe('Redis crash consistency', () => {
  it('runs every stored job after the API is killed with SIGKILL in the middle of a submission burst', async () => {
    const { start } = await fx.setup([
      'segment_duration_seconds: 0.5',
      'procedural: { width: 64, height: 36, fps: 12, max_segments: 1 }',
      'security: { rate_limit_per_minute: 100000 }',
      'worker: { concurrency: 3, lease_seconds: 1, heartbeat_seconds: 0.2 }',
      'logging: { level: warn }',
    ]);
    const first = await start('api');
    await start('worker');
    // Eight clients submit back to back (at most 40 each) so that requests are always in flight; the
    // API is killed once 60 have been answered, inside its submit path for the ones on the wire. (A
    // kill after 30 once cut off no request at all, on a quiet machine.)
    const CLIENTS = 8;
    const PER_CLIENT = 40;
    const KILL_AFTER = 60;
    const accepted: string[] = [];
    let answered = 0;
    let cutOff = 0;
    let killing: Promise<void> | null = null;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let i = 0; i < PER_CLIENT && killing === null; i += 1) {
          try {
            const res = await fetch(`${first.url}/v1/jobs`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ prompt: `Burst job ${c}-${i}.` }),
            });
            const body = (await res.json()) as { id?: string };
            if (res.status === 202) accepted.push(body.id!);
            else throw new Error(`unexpected ${res.status}: ${JSON.stringify(body)}`);
          } catch (err) {
            if (killing === null) throw err;
            cutOff += 1; // cut off by the kill: the client never heard of this job (it may still be stored)
            return;
          }
          answered += 1;
          if (answered === KILL_AFTER) killing = first.kill('SIGKILL');
        }
      }),
    );
    await killing;
    expect(first.child.signalCode).toBe('SIGKILL');
    expect(accepted.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(cutOff).toBeGreaterThan(0); // the kill did land in the middle of submissions

    const api = await start('api');
    // Every 202 the client got names a job the store holds, and every stored job ran, once.
    const { jobs, repaired } = await expectEveryJobRunOnce(api.url, accepted, REPAIR_NOTE);
    // Nothing needed repairing: a submission is stored with its ready entry or not at all.
    expect(repaired).toEqual([]);
    console.log(
      `API SIGKILL mid-burst: ${accepted.length} accepted, ${jobs.length} stored, all finished; ` +
        `${jobs.length - accepted.length} of ${cutOff} cut-off submissions stored without a 202 reaching the client`,
    );
  }, 0);

  it('runs every job whose submission script ran when the API is killed while others wait inside Redis', async () => {
    // Aimed at the submission script: `CLIENT PAUSE WRITE` holds every script mid-burst (reads go on),
    // so the API's submissions in flight wait inside Redis, as its clients see no answer; the API is
    // killed while Redis holds them, then Redis resumes. A script either ran before the pause (the job
    // is stored and claimable: it must run, once, whether or not its 202 got out) or is dropped with
    // the dead connection (nothing stored). Seen from redis-cli, no queued record is ever without its
    // ready entry (the state a kill between two writes used to leave). Workers start after the kill,
    // so the scripts Redis holds at the kill are the API's. Bounded: at most five rounds until a kill
    // lands while Redis holds submissions.
    const { prefix, start } = await fx.setup([
      'segment_duration_seconds: 0.5',
      'procedural: { width: 64, height: 36, fps: 12, max_segments: 1 }',
      'security: { rate_limit_per_minute: 100000 }',
      'worker: { concurrency: 3, lease_seconds: 1, heartbeat_seconds: 0.2 }',
      'logging: { level: warn }',
    ]);
    const cli = new Redis(fx.redis.url);
    /** Queued records without a ready entry: no worker would ever claim them. */
    const orphans = async () => {
      const queued = await cli.zrange(`${prefix}:status:queued`, 0, -1);
      const ready = await Promise.all(queued.map((id) => cli.zscore(`${prefix}:ready`, id)));
      return queued.filter((_, i) => ready[i] === null);
    };
    /** Connections Redis holds (paused) at a script call; commands sent behind it wait in its buffer. */
    const heldScripts = async () =>
      ((await cli.call('CLIENT', 'LIST', 'TYPE', 'normal')) as string)
        .split('\n')
        .filter((line) => /flags=\S*b/.test(line) && /cmd=evalsha/.test(line)).length;
    const accepted: string[] = [];
    const refused: string[] = []; // prompts answered 503: none may be stored
    let held = 0;
    let cutOff = 0;
    let left: string[] = [];
    try {
      for (let round = 0; round < 5 && held === 0; round += 1) {
        const api = await start('api');
        let stop = false;
        let answered = 0;
        const clients = Promise.all(
          Array.from({ length: 8 }, async (_, c) => {
            for (let i = 0; !stop && i < 200; i += 1) {
              const prompt = `Aimed ${round}-${c}-${i}.`;
              try {
                const res = await fetch(`${api.url}/v1/jobs`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({ prompt }),
                });
                const body = (await res.json()) as { id?: string };
                if (res.status === 202) accepted.push(body.id!);
                else if (res.status === 503) refused.push(prompt);
                answered += 1;
              } catch {
                cutOff += 1; // cut off by the kill: the client never heard of this job
                return;
              }
            }
          }),
        );
        // Eight clients keep eight requests in flight: a few answers in, the pause finds the API's
        // connection inside Redis (every job stored runs afterwards: fewer jobs, a shorter test).
        await waitFor(async () => (answered >= 8 ? true : null), { timeoutMs: 30_000, what: 'submissions under way' });
        await cli.call('CLIENT', 'PAUSE', '10000', 'WRITE');
        stop = true;
        held = await waitFor(
          async () => {
            const n = await heldScripts();
            return n > 0 ? n : null;
          },
          { timeoutMs: 3000, intervalMs: 20, what: 'submissions held inside Redis' },
        ).catch(() => 0);
        if (held > 0) await api.kill('SIGKILL');
        left = [...left, ...(await orphans())];
        await cli.call('CLIENT', 'UNPAUSE');
        await clients;
        // Redis dropped the dead client's held scripts; what is stored now is what the crash left.
        left = [...left, ...(await orphans())];
        if (api.child.signalCode !== 'SIGKILL') await api.kill('SIGTERM');
      }
      expect(held).toBeGreaterThan(0);
      expect(cutOff).toBeGreaterThan(0);
      expect(left).toEqual([]);

      await start('worker');
      const api = await start('api');
      const { jobs, repaired } = await expectEveryJobRunOnce(api.url, accepted, REPAIR_NOTE);
      expect(repaired).toEqual([]);
      const prompts = new Set(jobs.map((j) => String(j.prompt)));
      expect(refused.filter((p) => prompts.has(p))).toEqual([]);
      console.log(
        `aimed API SIGKILL: ${held} connection(s) held at a script inside Redis at the kill, ${cutOff} request(s) cut off; ` +
          `${accepted.length} accepted, ${jobs.length} stored, all finished once, none without its ready entry`,
      );
    } finally {
      await cli.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      cli.disconnect();
    }
  }, 0);

  it('notices a Redis restarted without persistence: /readyz warns and the log has the error, also after a ttv restart', async () => {
    // Its own Redis: this test restarts it.
    const own = await startRedisServer();
    try {
      const { prefix, args: common } = await fx.setup(
        [
          'segment_duration_seconds: 0.5',
          'procedural: { width: 64, height: 36, fps: 12, max_segments: 1 }',
          'worker: { lease_seconds: 1, heartbeat_seconds: 0.2 }',
        ],
        { redisUrl: own.url },
      );
      const args = argvFor('serve', common);
      let ttv = await fx.startTtv(args);
      const readyz = async (url: string) =>
        (await getJson(`${url}/readyz`)).body as {
          status: string;
          warnings: { reason: string; message: string; since: string }[];
        };
      await waitFor(async () => ((await readyz(ttv.url)).status === 'ready' ? true : null), {
        timeoutMs: 20_000,
        what: 'ready',
      });
      expect((await readyz(ttv.url)).warnings).toEqual([]);
      const res = await fetch(`${ttv.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'Stored before the loss.' }),
      });
      const { id } = (await res.json()) as { id: string };
      await waitForProgress(
        async () => {
          const job = (await getJson(`${ttv.url}/v1/jobs/${id}`)).body;
          return {
            done: job.status === 'finished',
            progress: Number(job.progress) + (job.status === 'queued' ? 0 : 1),
          };
        },
        { what: 'job to finish' },
      );

      // Redis restarts empty (no RDB, no AOF) under the running ttv.
      await own.stop();
      await own.restart();
      const warned = await waitFor(
        async () => {
          const body = await readyz(ttv.url);
          return body.warnings.length > 0 ? body : null;
        },
        { timeoutMs: 20_000, what: 'a data-loss warning in /readyz' },
      );
      expect(warned.warnings).toEqual([
        expect.objectContaining({
          component: 'job_store',
          reason: 'job_store_data_lost',
          message: expect.stringContaining('appendonly yes'),
        }),
      ]);
      // A warning, not unreadiness: the service works again (new jobs run) while the operator looks into it.
      await waitFor(async () => ((await readyz(ttv.url)).status === 'ready' ? true : null), {
        timeoutMs: 20_000,
        what: 'ready again',
      });
      await waitFor(async () => (/"level":50.*Redis lost the job data ttv stored/.test(ttv.output()) ? true : null), {
        what: 'the error line in the log',
      });
      await waitFor(async () => ((await getJson(`${ttv.url}/v1/jobs/${id}`)).status === 404 ? true : null), {
        what: 'the lost job to answer 404',
      });

      // A ttv process started afterwards sees the same warning (it lives in the store's marker).
      await ttv.kill('SIGTERM');
      ttv = await fx.startTtv(args);
      expect((await readyz(ttv.url)).warnings.map((w) => w.reason)).toEqual(['job_store_data_lost']);

      // The operator clears it; then Redis loses its data again while ttv is down (say, a host reboot):
      // the data dir remembers which Redis instance it saw, so the new process notices at start.
      const cli = new Redis(own.url);
      await cli.hdel(`${prefix}:meta`, 'data_lost_at');
      cli.disconnect();
      expect((await readyz(ttv.url)).warnings).toEqual([]);
      await ttv.kill('SIGTERM');
      await own.stop();
      await own.restart();
      ttv = await fx.startTtv(args);
      expect((await readyz(ttv.url)).warnings.map((w) => w.reason)).toEqual(['job_store_data_lost']);
      await waitFor(async () => (/"level":50.*Redis lost the job data ttv stored/.test(ttv.output()) ? true : null), {
        what: 'the error line in the new process log',
      });
    } finally {
      await Promise.all(procs.splice(0).map((p) => p.kill()));
      await own.stop();
    }
  }, 0);

  it('raises no data-loss warning when Redis restarts with AOF persistence', async () => {
    const redisDir = await fx.tempDir();
    const own = await startRedisServer({
      extraArgs: ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', redisDir],
    });
    try {
      const { start } = await fx.setup(['worker: { lease_seconds: 1, heartbeat_seconds: 0.2 }'], { redisUrl: own.url });
      const ttv = await start('serve');
      const readyz = async () => (await getJson(`${ttv.url}/readyz`)).body as { status: string; warnings: unknown[] };
      await waitFor(async () => ((await readyz()).status === 'ready' ? true : null), {
        timeoutMs: 20_000,
        what: 'ready',
      });
      const { id } = (await (
        await fetch(`${ttv.url}/v1/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: 'Kept across the restart.' }),
        })
      ).json()) as { id: string };
      await own.stop(); // SIGKILL: only what the AOF holds survives
      await own.restart();
      await waitFor(async () => ((await readyz()).status === 'ready' ? true : null), {
        timeoutMs: 20_000,
        what: 'ready after the Redis restart',
      });
      expect((await getJson(`${ttv.url}/v1/jobs/${id}`)).status).toBe(200);
      expect((await readyz()).warnings).toEqual([]);
      expect(ttv.output()).not.toContain('Redis lost the job data');
    } finally {
      await Promise.all(procs.splice(0).map((p) => p.kill()));
      await own.stop();
    }
  }, 0);
});
