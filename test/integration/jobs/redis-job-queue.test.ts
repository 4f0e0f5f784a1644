// The job-queue conformance suite on the Redis adapter.
import { describeJobQueueConformance } from '../../conformance/job-queue-conformance.js';
import { redisHarness } from '../../support/queue-harnesses.js';
import { redisServerForFile } from '../../support/redis-server.js';

describeJobQueueConformance(
  'redis',
  redisHarness(redisServerForFile(), 'ttv-test', { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 2 }),
);
