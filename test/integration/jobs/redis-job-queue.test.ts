// The job-queue conformance suite on the Redis + BullMQ adapter.
import { describeJobQueueConformance } from '../../conformance/job-queue-conformance.js';
import { redisHarness } from '../../support/queue-harnesses.js';
import { redisServerForFile } from '../../support/redis-server.js';

describeJobQueueConformance('redis (BullMQ)', redisHarness(redisServerForFile(), 'ttv-test', { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 2 }));
