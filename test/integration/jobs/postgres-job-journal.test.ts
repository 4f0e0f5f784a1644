// The journal conformance suite on the PostgreSQL adapter.
import { describeJobJournalConformance } from '../../conformance/job-journal-conformance.js';
import { postgresHarness } from '../../support/queue-harnesses.js';

describeJobJournalConformance(
  'postgres',
  postgresHarness('ttv-pg-journal', { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 1 }),
);
