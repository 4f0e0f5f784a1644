// The journal conformance suite on both adapters.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { describeJobJournalConformance } from '../../conformance/job-journal-conformance.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';

const dirs: string[] = [];
describeJobJournalConformance('sqlite', {
  async freshConfig() {
    const dir = await mkdtemp(join(tmpdir(), 'ttv-journal-'));
    dirs.push(dir);
    return { data_dir: dir, worker: { lease_seconds: 0.6, heartbeat_seconds: 0.1, max_attempts: 1 } };
  },
  async cleanup() {
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  },
});

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});
describeJobJournalConformance('redis (BullMQ)', {
  async freshConfig() {
    return {
      redis: { url: redis.url, key_prefix: `ttv-journal-${randomUUID().slice(0, 8)}` },
      worker: { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 1 },
    };
  },
});
