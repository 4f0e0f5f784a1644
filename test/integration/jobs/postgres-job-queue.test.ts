// The job-queue conformance suite on the PostgreSQL adapter.
import { describeJobQueueConformance } from '../../conformance/job-queue-conformance.js';
import { postgresHarness } from '../../support/queue-harnesses.js';

describeJobQueueConformance(
  'postgres',
  postgresHarness('ttv-pg-conformance', { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 2 }),
);
