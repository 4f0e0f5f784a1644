// The Redis reconciler against a real redis-server: the records a crash leaves behind are repaired.
// Each crash state is made the way the crash leaves it: the record written and its BullMQ entry gone
// (a SUBMIT whose process died before `Queue.add`), or a worker process killed (SIGKILL) while it held
// the job, whose BullMQ entry then vanished.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { openJobQueue } from '../../../src/jobs/open-job-queue.js';
import type { Consumer, JobContext, JobOutcome } from '../../../src/jobs/job-queue.js';
import { RedisJobQueue } from '../../../src/jobs/redis/redis-job-queue.js';
import { BULL_QUEUE_NAME } from '../../../src/stores/redis-connection.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';

let redis: RedisServer;
const queues: RedisJobQueue[] = [];
const consumers: Consumer[] = [];
const bullQueues: Queue[] = [];
const children: ChildProcess[] = [];
const HANGING_WORKER = fileURLToPath(new URL('../../conformance/hanging-worker.mjs', import.meta.url));
// The Redis store remembers the instances it saw in <data_dir>/redis-stores.json: a temp dir, not the checkout.
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ttv-reconciler-'));
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
  await rm(dataDir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(bullQueues.splice(0).map((q) => q.close()));
  await Promise.all(consumers.splice(0).map((c) => c.close(0)));
  await Promise.all(queues.splice(0).map((q) => q.close()));
});

const rawConfig = (prefix: string) => ({
  data_dir: dataDir,
  redis: { url: redis.url, key_prefix: prefix },
  worker: { lease_seconds: 0.5, heartbeat_seconds: 0.1, max_attempts: 2 },
  logging: { level: 'silent' },
});

function open(prefix: string): RedisJobQueue {
  const queue = openJobQueue(configSchema.parse(rawConfig(prefix))) as RedisJobQueue;
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

/** BullMQ's queue under the adapter's prefix, as redis-cli would see it. */
function bullOf(prefix: string): Queue {
  const q = new Queue(BULL_QUEUE_NAME, { connection: { url: redis.url }, prefix: `${prefix}:bull` });
  bullQueues.push(q);
  return q;
}

/** Submits a job and removes its BullMQ entry: the state a SIGKILL between SUBMIT and Queue.add leaves. */
async function orphan(queue: RedisJobQueue, prefix: string, prompt: string): Promise<string> {
  const { job } = await queue.submit({ prompt } as never);
  const bull = bullOf(prefix);
  expect(await bull.remove(job.id)).toBe(1);
  expect(await bull.getJobState(job.id)).toBe('unknown');
  return job.id;
}

/** A worker process (compiled adapters) that claims the next job, then is killed with SIGKILL. */
async function claimAndDie(prefix: string): Promise<string> {
  const child = spawn(process.execPath, [HANGING_WORKER, JSON.stringify(rawConfig(prefix))], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  let out = '';
  const id = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /claimed ([0-9a-f-]{36})/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`hanging worker exited early (${code})`)));
  });
  child.kill('SIGKILL');
  if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
  return id;
}

/** Its BullMQ entry removed once the dead worker's lock lapsed: no delivery will bring the job back. */
async function loseBullEntry(prefix: string, id: string): Promise<void> {
  const bull = bullOf(prefix);
  await waitFor(async () => ((await bull.remove(id)) === 1 ? true : null), { what: `the BullMQ entry of ${id} to be removable` });
  expect(await bull.getJobState(id)).toBe('unknown');
}

describe('Redis reconciler', () => {
  it('enqueues stored queued jobs BullMQ does not know, each run once even with two reconciling workers', async () => {
    const prefix = `ttv-rec-${randomUUID().slice(0, 8)}`;
    const producer = open(prefix);
    const ids = [await orphan(producer, prefix, 'Lost one.'), await orphan(producer, prefix, 'Lost two.'), await orphan(producer, prefix, 'Lost three.')];
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

  it('enqueues a started job whose worker died and whose BullMQ entry is gone: retried, or failed with no attempts left', async () => {
    const prefix = `ttv-rec-${randomUUID().slice(0, 8)}`;
    const queue = open(prefix);
    const { job: first } = await queue.submit({ prompt: 'Its worker died once.' } as never);
    expect(await claimAndDie(prefix)).toBe(first.id);
    await loseBullEntry(prefix, first.id);
    expect((await queue.get(first.id))?.status).toBe('started');

    const { job: second } = await queue.submit({ prompt: 'Its worker died twice.' } as never);
    expect(await claimAndDie(prefix)).toBe(second.id);
    // The next worker recovers the first death (BullMQ re-delivers the stalled job) and dies as well.
    expect(await claimAndDie(prefix)).toBe(second.id);
    await loseBullEntry(prefix, second.id);
    expect((await queue.get(second.id))?.attempts).toBe(2);

    const runs = new Map<string, number>();
    consumers.push(queue.consume({ concurrency: 2, handler: counting(runs) }));
    const retried = await terminal(queue, first.id);
    expect(retried.status).toBe('finished');
    expect(retried.attempts).toBe(2);
    expect(runs.get(first.id)).toBe(1);
    expect(await queue.logs(first.id, 0)).toEqual(expect.arrayContaining([
      expect.stringContaining('Job enqueued again: its lease expired and the queue had no entry for it'),
      expect.stringContaining('Worker lost while running the job (attempt 1 of 2)'),
    ]));

    const failed = await terminal(queue, second.id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/attempt limit of 2 is reached/);
    expect(runs.get(second.id)).toBeUndefined();
  });

  it('walks a backlog longer than one window: an orphan behind it is found in a later pass', async () => {
    const prefix = `ttv-rec-${randomUUID().slice(0, 8)}`;
    // Two records per window; the orphan is the sixth queued job, behind five healthy ones.
    const queue = new RedisJobQueue({ url: redis.url, keyPrefix: prefix, jobTtlSeconds: 0, consumer: { leaseMs: 300 }, reconcileBatch: 2 });
    queues.push(queue);
    for (let i = 0; i < 5; i += 1) await queue.submit({ prompt: `Healthy ${i}.` } as never);
    const lost = await orphan(queue, prefix, 'Behind the backlog.');
    await waitFor(async () => {
      await queue.reconcile();
      return (await queue.logs(lost, 0))?.some((l) => l.includes('Job enqueued again')) ? true : null;
    }, { timeoutMs: 20_000, intervalMs: 100, what: 'the orphan behind the backlog to be enqueued again' });
    expect(await bullOf(prefix).getJobState(lost)).not.toBe('unknown');
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
    expect(await bullOf(prefix).getJobState(job.id)).toBe('active');
    release();
    expect((await terminal(queue, job.id)).status).toBe('finished');
    expect(runs.get(job.id)).toBe(1);
    expect((await queue.get(job.id))?.attempts).toBe(1);
  });
});
