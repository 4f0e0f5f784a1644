// Delivery on Redis is the store's own scripts (docs/design-notes.md, "One queue mechanism on Redis"):
// a submission is claimable in the same step that stores it and wakes an idle worker at once; every
// queued job is in the ready set and every leased one in the lease set; and a store written through
// BullMQ (neither set) is adopted by the first claim, its queued jobs run and its dead workers' jobs
// recovered.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisJobQueue } from '../../../src/jobs/redis/redis-job-queue.js';
import type { LeaseStore } from '../../../src/jobs/lease-store.js';
import type { Consumer, JobContext, JobOutcome } from '../../../src/jobs/job-queue.js';
import { redisClientForFile } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';

const { server, client: redis } = redisClientForFile();
const opened: { queue: RedisJobQueue; leases: LeaseStore[]; consumers: Consumer[] }[] = [];

afterEach(async () => {
  for (const { queue, leases, consumers } of opened.splice(0)) {
    await Promise.all(consumers.map((c) => c.close(0)));
    await Promise.all(leases.map((l) => l.close()));
    await queue.close();
  }
});

function open(prefix: string, consumer = { leaseMs: 1000, heartbeatMs: 200, maxAttempts: 2 }) {
  const queue = new RedisJobQueue({
    url: server().url,
    keyPrefix: prefix,
    jobTtlSeconds: 0,
    markerMemoryFile: null,
    consumer,
  });
  const entry = { queue, leases: [] as LeaseStore[], consumers: [] as Consumer[] };
  opened.push(entry);
  return {
    queue,
    leases: () => {
      const l = queue.openLeases();
      entry.leases.push(l);
      return l;
    },
    consume: (handler: (ctx: JobContext) => Promise<JobOutcome>) => {
      const c = queue.consume({ concurrency: 1, handler });
      entry.consumers.push(c);
      return c;
    },
  };
}

const done = async (ctx: JobContext): Promise<JobOutcome> => ({
  artifactUri: `file:///a/${ctx.job.id}.mp4`,
  artifactKey: `k/${ctx.job.id}`,
  gcsUri: null,
});

describe('Redis delivery', () => {
  it('a submission is ready in the same step as its record, and wakes an idle worker before its fallback look', async () => {
    const prefix = `ttv-delivery-${randomUUID().slice(0, 8)}`;
    const { queue, leases } = open(prefix);
    const { job } = await queue.submit({ prompt: 'ready at once' });
    expect(await redis().zscore(`${prefix}:ready`, job.id)).not.toBeNull();
    expect(await redis().llen(`${prefix}:wake`)).toBe(1);

    const store = leases();
    const lease = await store.claim('w', 5000, new AbortController().signal);
    expect(lease?.job.id).toBe(job.id);
    expect(await redis().zscore(`${prefix}:ready`, job.id)).toBeNull();
    expect(Number(await redis().zscore(`${prefix}:leases`, job.id))).toBeGreaterThan(Date.now() - 60_000);
    await redis().del(`${prefix}:wake`);
    expect(await store.claim('w', 5000, new AbortController().signal)).toBeNull();

    // An idle worker blocks on the wake list (up to 2 s); a submission 300 ms in ends the wait.
    const began = Date.now();
    const waiting = store.idle(500, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 300));
    const second = (await queue.submit({ prompt: 'wakes the worker' })).job;
    await waiting;
    expect(Date.now() - began).toBeLessThan(1500);
    expect((await store.claim('w', 5000, new AbortController().signal))?.job.id).toBe(second.id);

    // Ending the first attempt leaves no trace in the lease set.
    expect(
      await store.finish(lease!, { artifactUri: 'file:///a/first.mp4', artifactKey: 'k/first', gcsUri: null }, 'done'),
    ).toBe(true);
    expect(await redis().zscore(`${prefix}:leases`, job.id)).toBeNull();
  });

  it("adopts a store written through BullMQ: its queued job runs, its dead worker's job is recovered", async () => {
    const prefix = `ttv-delivery-${randomUUID().slice(0, 8)}`;
    const first = open(prefix);
    const running = (await first.queue.submit({ prompt: 'its worker died' })).job;
    const lease = await first.leases().claim('dead', 500, new AbortController().signal);
    expect(lease?.job.id).toBe(running.id);
    const queued = (await first.queue.submit({ prompt: 'never delivered' })).job;
    // The layout an older ttv left: records and indexes, no ready or lease set, no layout marker.
    await redis().del(`${prefix}:ready`, `${prefix}:leases`, `${prefix}:layout`, `${prefix}:wake`);

    const runs: string[] = [];
    open(prefix).consume(async (ctx) => {
      runs.push(ctx.job.id);
      return done(ctx);
    });
    for (const id of [queued.id, running.id]) {
      await waitFor(async () => ((await first.queue.get(id))?.status === 'finished' ? true : null), {
        timeoutMs: 15_000,
        what: `${id} to finish`,
      });
    }
    expect(runs.sort()).toEqual([queued.id, running.id].sort());
    expect(await first.queue.logs(running.id, 0)).toEqual(
      expect.arrayContaining([expect.stringContaining('Worker lost while running the job (attempt 1 of 2)')]),
    );
    expect(await redis().get(`${prefix}:layout`)).toBe('2');
  });
});
