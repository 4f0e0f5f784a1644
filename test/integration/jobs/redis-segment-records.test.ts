// Segment records on Redis (jobs/segment-records.ts): the hash `<prefix>:segments:<id>` lives exactly
// as long as the job record (the record TTL slides on every write, and the segments hash with it),
// and the attempt that lost the lease gets LeaseLostError from JobContext.recordSegment, writing nothing.
import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { RedisJobQueue } from '../../../src/jobs/redis/redis-job-queue.js';
import type { JobContext, JobOutcome } from '../../../src/jobs/job-queue.js';
import { LeaseLostError } from '../../../src/errors/lease-lost-error.js';
import { redisClientForFile } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';

const { server, client: redis } = redisClientForFile();

const task = { backend: 'runway', model: 'gen4_turbo', taskId: 'task-1', createdAt: new Date().toISOString() };

describe('Redis segment records', () => {
  it('expire with the job record: the same TTL, refreshed by every write, and none when records live forever', async () => {
    const prefix = `ttl-${randomUUID().slice(0, 8)}`;
    const queue = new RedisJobQueue({
      url: server().url,
      keyPrefix: prefix,
      jobTtlSeconds: 3600,
      markerMemoryFile: null,
    });
    const leases = queue.openLeases();
    try {
      const { job } = await queue.submit({ prompt: 'ttl' });
      const lease = await waitFor(async () => leases.claim('w', 30_000, new AbortController().signal), {
        what: 'a lease',
      });
      // Age the record a little (as if written a while ago), then a segment write refreshes both.
      await redis().expire(`${prefix}:job:${job.id}`, 100);
      expect(await leases.recordSegment(lease, { segment: 1, requestHash: 'h1', task })).toBe(true);
      const ttls = async () => ({
        job: await redis().ttl(`${prefix}:job:${job.id}`),
        logs: await redis().ttl(`${prefix}:logs:${job.id}`),
        segments: await redis().ttl(`${prefix}:segments:${job.id}`),
      });
      let t = await ttls();
      expect(t.segments).toBeGreaterThan(3500);
      expect(t.job).toBe(t.segments);
      expect(t.logs).toBe(t.segments);
      // A later write that does not touch the segments (the job ending) still carries their expiry along.
      await redis().expire(`${prefix}:segments:${job.id}`, 50);
      expect(await leases.fail(lease, 'broken', 'Job failed: broken')).toBe(true);
      t = await ttls();
      expect(t.segments).toBeGreaterThan(3500);
      expect(t.job).toBe(t.segments);
    } finally {
      await leases.close();
      await queue.close();
    }

    const forever = `forever-${randomUUID().slice(0, 8)}`;
    const kept = new RedisJobQueue({ url: server().url, keyPrefix: forever, jobTtlSeconds: 0, markerMemoryFile: null });
    const keptLeases = kept.openLeases();
    try {
      const { job } = await kept.submit({ prompt: 'no ttl' });
      const lease = await waitFor(async () => keptLeases.claim('w', 30_000, new AbortController().signal), {
        what: 'a lease',
      });
      expect(await keptLeases.recordSegment(lease, { segment: 1, requestHash: 'h1', task })).toBe(true);
      expect(await redis().ttl(`${forever}:segments:${job.id}`)).toBe(-1);
      expect(await redis().ttl(`${forever}:job:${job.id}`)).toBe(-1);
      // Removed with the job instead.
      expect(await keptLeases.fail(lease, 'broken', 'Job failed: broken')).toBe(true);
      expect((await kept.remove(job.id)).outcome).toBe('removed');
      expect(await redis().exists(`${forever}:segments:${job.id}`)).toBe(0);
    } finally {
      await keptLeases.close();
      await kept.close();
    }
  });

  it('JobContext.recordSegment of an attempt whose job was taken over throws LeaseLostError and writes nothing', async () => {
    const prefix = `lost-${randomUUID().slice(0, 8)}`;
    const queue = new RedisJobQueue({
      url: server().url,
      keyPrefix: prefix,
      jobTtlSeconds: 0,
      markerMemoryFile: null,
      consumer: { leaseMs: 30_000, heartbeatMs: 60_000 },
    });
    try {
      const { job } = await queue.submit({ prompt: 'taken over' });
      let resolveCtx!: (ctx: JobContext) => void;
      const started = new Promise<JobContext>((r) => {
        resolveCtx = r;
      });
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      const consumer = queue.consume({
        concurrency: 1,
        handler: async (ctx): Promise<JobOutcome> => {
          resolveCtx(ctx);
          await held;
          return { artifactUri: 'file:///x.mp4', artifactKey: 'k', gcsUri: null };
        },
      });
      const ctx = await started;
      await ctx.recordSegment({ segment: 1, requestHash: 'h1', task });
      // Another worker took the job over (its lease token replaced the attempt's).
      await redis().hset(`${prefix}:job:${job.id}`, 'lease_token', JSON.stringify(randomUUID()));
      const stale = { segment: 1, requestHash: 'h1', task: { ...task, taskId: 'stale-task' } };
      await expect(ctx.recordSegment(stale)).rejects.toBeInstanceOf(LeaseLostError);
      expect(ctx.signal.aborted).toBe(true);
      expect(await queue.segmentRecords(job.id)).toEqual([{ segment: 1, requestHash: 'h1', task }]);
      release();
      await consumer.close(0);
    } finally {
      await queue.close();
    }
  });
});
