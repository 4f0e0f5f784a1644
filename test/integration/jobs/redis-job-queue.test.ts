import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { describeJobQueueConformance } from '../../conformance/job-queue-conformance.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

describeJobQueueConformance('redis (BullMQ)', {
  async freshConfig() {
    // A fresh key prefix per test: nothing is flushed, and tests never see each other's keys.
    return {
      redis: { url: redis.url, key_prefix: `ttv-test-${randomUUID().slice(0, 8)}` },
      worker: { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 2 },
    };
  },
});
