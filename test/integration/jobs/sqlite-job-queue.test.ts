// The job-queue conformance suite on the embedded SQLite adapter.
import { describeJobQueueConformance } from '../../conformance/job-queue-conformance.js';
import { sqliteHarness } from '../../support/queue-harnesses.js';

describeJobQueueConformance(
  'sqlite',
  sqliteHarness('ttv-conformance', { lease_seconds: 0.6, heartbeat_seconds: 0.1, max_attempts: 2 }),
);
