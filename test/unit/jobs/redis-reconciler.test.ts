// The Redis reconciler against a real redis-server: the records a crash leaves behind are repaired.
// Each crash state is made the way the crash leaves it: the record written and its BullMQ entry gone
// (a SUBMIT whose process died before `Queue.add`), or a claimed record whose BullMQ job vanished.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { openJobQueue } from '../../../src/jobs/open-job-queue.js';
import type { Consumer, JobContext, JobOutcome } from '../../../src/jobs/job-queue.js';
import type { RedisJobQueue } from '../../../src/jobs/redis/redis-job-queue.js';
import { startRedisServer, type RedisServer } from '../../helpers/redis-server.js';
import { waitFor } from '../../helpers/wait-for.js';

let redis: RedisServer;
const queues: RedisJobQueue[] = [];
const consumers: Consumer[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.close(0)));
  await Promise.all(queues.splice(0).map((q) => q.close()));
});

function open(prefix: string): RedisJobQueue {
  const config = configSchema.parse({
    redis: { url: redis.url, key_prefix: prefix },
    worker: { lease_seconds: 0.5, heartbeat_seconds: 0.1, max_attempts: 2 },
    logging: { level: 'silent' },
  });
  const queue = openJobQueue(config) as RedisJobQueue;
  queues.push(queue);
  return queue;
}

/** A handler that counts its runs per job. */
function counting(runs: Map<string, number>) {
  return async (ctx: JobContext): Promise<JobOutcome> => {
    runs.set(ctx.job.id, (runs.get(ctx.job.id) ?? 0) + 1);
    return { artifactUri: `file:///a/${ctx.job.id}.mp4`, artifactKey: `k/${ctx.job.id}`, gcsUri: null };
  };
}

async function terminal(queue: RedisJobQueue, id: string) {
  return waitFor(async () => {
    const job = await queue.get(id);
    return job && ['finished', 'failed', 'canceled'].includes(job.status) ? job : null;
  }, { timeoutMs: 20_000, what: `job ${id} to end` });
}

/** Submits a job and removes its BullMQ entry: the state a SIGKILL between SUBMIT and Queue.add leaves. */
async function orphan(queue: RedisJobQueue, prompt: string): Promise<string> {
  const { job } = await queue.submit({ prompt } as never);
  expect(await queue.bullQueue.remove(job.id)).toBe(1);
  expect(await queue.bullQueue.getJobState(job.id)).toBe('unknown');
  return job.id;
}

describe('Redis reconciler', () => {
  it('enqueues stored queued jobs BullMQ does not know, each run once even with two reconciling workers', async () => {
    const prefix = `ttv-rec-${randomUUID().slice(0, 8)}`;
    const producer = open(prefix);
    const ids = [await orphan(producer, 'Lost one.'), await orphan(producer, 'Lost two.'), await orphan(producer, 'Lost three.')];
    const runs = new Map<string, number>();
    // Two worker processes' worth of queues, each running its own reconciler on the same store.
    for (const q of [open(prefix), open(prefix)]) consumers.push(q.consume({ concurrency: 2, handler: counting(runs) }));
    for (const id of ids) {
      const job = await terminal(producer, id);
      expect(job.status).toBe('finished');
      expect(await producer.logs(id, 0)).toEqual(expect.arrayContaining([expect.stringContaining('Job enqueued again: it was stored but never reached the queue')]));
    }
    // Give the reconcilers a few more passes: a repaired job is never enqueued (and run) a second time.
    for (let i = 0; i < 3; i += 1) for (const q of queues.slice(1)) await q.reconcile();
    for (const id of ids) expect(runs.get(id)).toBe(1);
  });

  it('queues again a started job whose lease and BullMQ job are gone, and fails one with no attempts left', async () => {
    const prefix = `ttv-rec-${randomUUID().slice(0, 8)}`;
    const queue = open(prefix);
    const retry = await orphan(queue, 'Claimed, then its worker and queue entry vanished.');
    await queue.script('CLAIM', retry, 'dead-lease', new Date().toISOString(), '', 0);
    const exhausted = await orphan(queue, 'Claimed twice already.');
    await queue.script('CLAIM', exhausted, 'dead-lease-1', new Date().toISOString(), '', 0);
    await queue.script('CLAIM', exhausted, 'dead-lease-2', new Date().toISOString(), '', 0);
    expect((await queue.get(retry))?.status).toBe('started');
    expect((await queue.get(exhausted))?.attempts).toBe(2);
    const runs = new Map<string, number>();
    consumers.push(queue.consume({ concurrency: 2, handler: counting(runs) }));

    const retried = await terminal(queue, retry);
    expect(retried.status).toBe('finished');
    expect(retried.attempts).toBe(2);
    expect(runs.get(retry)).toBe(1);
    expect(await queue.logs(retry, 0)).toEqual(expect.arrayContaining([expect.stringContaining('Worker lost while running the job (attempt 1 of 2); its lease is gone')]));

    const failed = await terminal(queue, exhausted);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/attempt limit of 2 is reached/);
    expect(runs.get(exhausted)).toBeUndefined();
  });

  it('leaves healthy jobs alone: a job held by a running attempt is not requeued while it runs', async () => {
    const prefix = `ttv-rec-${randomUUID().slice(0, 8)}`;
    const queue = open(prefix);
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    let started!: () => void;
    const running = new Promise<void>((r) => { started = r; });
    const runs = new Map<string, number>();
    consumers.push(queue.consume({
      concurrency: 1,
      handler: async (ctx) => { started(); await held; return counting(runs)(ctx); },
    }));
    const { job } = await queue.submit({ prompt: 'Held for a while.' } as never);
    await running;
    for (let i = 0; i < 3; i += 1) await queue.reconcile();
    expect((await queue.get(job.id))?.status).toBe('started');
    expect(await queue.bullQueue.getJobState(job.id)).toBe('active');
    release();
    expect((await terminal(queue, job.id)).status).toBe('finished');
    expect(runs.get(job.id)).toBe(1);
    expect((await queue.get(job.id))?.attempts).toBe(1);
  });
});
