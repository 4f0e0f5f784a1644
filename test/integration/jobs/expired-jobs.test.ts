// JobQueue.expiredJobs on every adapter: terminal jobs that ended before the cutoff, oldest first,
// at most `limit`; queued jobs never, and nothing that ended after the cutoff.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { openJobQueue } from '../../../src/jobs/open-job-queue.js';
import type { JobQueue } from '../../../src/jobs/job-queue.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from '../../support/postgres.js';

for (const adapter of ['sqlite', 'redis', 'postgres'] as const) {
  describe(`expiredJobs (${adapter})`, () => {
    let redis: RedisServer | undefined;
    let schema: TestSchema | undefined;
    let dir: string;
    let queue: JobQueue;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'ttv-expired-'));
      if (adapter === 'redis') redis = await startRedisServer();
      if (adapter === 'postgres') {
        await assertPostgresReachable();
        schema = testPostgresConfig();
      }
      queue = openJobQueue(
        configSchema.parse({
          data_dir: dir,
          ...(redis ? { redis: { url: redis.url, key_prefix: `ttv-exp-${randomUUID().slice(0, 8)}` } } : {}),
          ...(schema ? { postgres: schema.config } : {}),
        }),
      );
    });
    afterAll(async () => {
      await queue?.close();
      await redis?.stop();
      await schema?.drop();
      // Retried: a write the closed Redis queue had under way can land in the dir while it is removed (ENOTEMPTY).
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
    });

    it('lists terminal jobs ended before the cutoff, oldest first, up to the limit', async () => {
      const ids: string[] = [];
      for (const prompt of ['first', 'second', 'third']) {
        const result = await queue.submit({ prompt });
        ids.push(result.job.id);
      }
      const before = new Date(Date.now() - 1000);
      // Canceled one after the other (distinct finished_at); the third stays queued.
      for (const id of [ids[1]!, ids[0]!]) {
        const canceled = await queue.cancel(id);
        expect(canceled.outcome).toBe('canceled');
        // The next one ends in a later millisecond than the time this one recorded.
        const endedAt = Date.parse((await queue.get(id))!.finished_at!);
        while (Date.now() <= endedAt) await new Promise((r) => setTimeout(r, 1));
      }
      const after = new Date(Date.now() + 1000);

      expect((await queue.expiredJobs(after, 10)).map((j) => j.id)).toEqual([ids[1], ids[0]]);
      expect((await queue.expiredJobs(after, 1)).map((j) => j.id)).toEqual([ids[1]]);
      expect(await queue.expiredJobs(before, 10)).toEqual([]);
      const [oldest] = await queue.expiredJobs(after, 10);
      expect(oldest).toMatchObject({ status: 'canceled', finished_at: expect.any(String) });

      expect((await queue.remove(ids[1]!)).outcome).toBe('removed');
      expect((await queue.expiredJobs(after, 10)).map((j) => j.id)).toEqual([ids[0]]);
    });
  });
}
