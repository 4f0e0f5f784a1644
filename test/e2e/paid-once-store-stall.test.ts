// A job store that stalls while a segment's vendor task is being recorded does not throw the paid task
// away: Redis is paused for writes (CLIENT PAUSE … WRITE) from the moment the Runway fake created
// task 1 until past the worker's 5 s command timeout, so the task record's first write fails. The
// worker follows the task anyway and stores the record once Redis is back: no cancel at Runway, one
// create per segment, the job finishes, and every segment's record (task and clip) is stored.
import { describe, expect, it } from 'vitest';
import { afterAll, beforeAll } from 'vitest';
import { Redis } from 'ioredis';
import { FakeRunwayServer } from '../fakes/runway/fake-runway-server.js';
import { redisTtvFixture } from '../support/redis-ttv-fixture.js';
import { submit, THREE_SEGMENTS } from '../support/backend-jobs.js';
import { waitFor } from '../support/wait-for.js';

const KEY = 'rw-test-key-0123456789';
const runway = new FakeRunwayServer(KEY);
const fx = redisTtvFixture('record-stall');
beforeAll(async () => {
  await runway.start();
});
afterAll(async () => {
  await runway.stop();
});

/** Longer than the worker's command timeout (redis-connection.ts boundedWait, 5 s): the write fails. */
const PAUSE_MS = 6500;

describe('a job store stall while a vendor task is recorded', () => {
  it('keeps the paid task: the record is retried while the task is polled, nothing is cancelled, one create per segment', async () => {
    const setup = await fx.setup([
      'default_backend: runway',
      'segment_duration_seconds: 5',
      `runway_ml: { api_key: ${KEY}, base_url: "${runway.url}" }`,
      'remote_api_settings: { polling_interval: 0.05, polling_interval_floor_override: true, retry_base_seconds: 0.01, max_retries: 2, timeout: 60 }',
      // A lease well past the pause: this test is about the record write, not about lease recovery.
      'worker: { lease_seconds: 30, heartbeat_seconds: 1, max_attempts: 1 }',
    ]);
    const redis = new Redis(fx.redis.url);
    try {
      let pausedAt = 0;
      runway.onCreate = async () => {
        runway.onCreate = null;
        await redis.call('CLIENT', 'PAUSE', String(PAUSE_MS), 'WRITE');
        pausedAt = Date.now();
      };
      const serve = await setup.start('serve');
      const id = await submit(serve, THREE_SEGMENTS);
      // The job's reads keep working during a write pause; bound the wait by the job's end.
      const finished = await waitFor(
        async () => {
          const j = (await (await fetch(`${serve.url}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
          return j.status === 'finished' || j.status === 'failed' ? j : null;
        },
        { timeoutMs: 120_000, what: 'job to end' },
      );
      expect(pausedAt).toBeGreaterThan(0);
      expect(finished.status, JSON.stringify(finished)).toBe('finished');
      expect(runway.createCount).toBe(3);
      expect(runway.deletedTaskIds).toEqual([]);
      const { lines } = (await (await fetch(`${serve.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] };
      expect(lines.some((l) => l.includes('Segment 1: its record could not be stored'))).toBe(true);
      expect(lines.some((l) => /Segment 1: its record is stored now/.test(l))).toBe(true);
      // Every segment's record is stored with its task and clip.
      const stored = Object.values(await redis.hgetall(`${setup.prefix}:segments:${id}`)).map(
        (t) => JSON.parse(t) as { segment: number; task?: { taskId: string }; clip?: unknown },
      );
      expect(stored.map((r) => r.segment).sort()).toEqual([1, 2, 3]);
      expect(stored.every((r) => r.task && r.clip)).toBe(true);
      expect(stored.map((r) => r.task!.taskId).sort()).toEqual([...runway.tasks.keys()].sort());
    } finally {
      await redis.call('CLIENT', 'UNPAUSE').catch(() => undefined);
      redis.disconnect();
    }
  });
});
