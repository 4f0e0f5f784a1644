// The journal conformance suite on every adapter.
import { describeJobJournalConformance } from '../../conformance/job-journal-conformance.js';
import { postgresHarness, redisHarness, sqliteHarness } from '../../support/queue-harnesses.js';
import { redisServerForFile } from '../../support/redis-server.js';

describeJobJournalConformance(
  'sqlite',
  sqliteHarness('ttv-journal', { lease_seconds: 0.6, heartbeat_seconds: 0.1, max_attempts: 1 }),
);
describeJobJournalConformance(
  'redis',
  redisHarness(redisServerForFile(), 'ttv-journal', { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 1 }),
);
describeJobJournalConformance(
  'postgres',
  postgresHarness('ttv-pg-journal', { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 1 }),
);
