// Running totals of job outcomes, kept from the store-wide journal: each status entry that ends a
// job adds one to its status's count. The totals live with their cursor in the store (one follower
// row/hash), so every process reads the same numbers, a total survives the deletion of old jobs and
// events, and each entry is counted once however many processes catch up at the same time (the
// cursor moves by compare-and-set, together with the increments).
import type { JobJournal, JournalFollower } from './job-journal.js';
import type { JobStatus } from './job.js';

const FOLLOWER = 'job-counters';
const BATCH = 2000;
const COUNTED: ReadonlySet<JobStatus> = new Set(['finished', 'failed', 'canceled']);

export type JobCounts = Record<'finished' | 'failed' | 'canceled', number>;

export class JobCounters {
  private readonly follower: JournalFollower;
  private initialized = false;
  private inflight: Promise<JobCounts> | null = null;

  constructor(private readonly journal: JobJournal) {
    this.follower = journal.follower(FOLLOWER);
  }

  /** Folds the journal entries not yet counted into the totals, then returns them. Concurrent calls share one read. */
  read(): Promise<JobCounts> {
    return (this.inflight ??= this.catchUp().finally(() => {
      this.inflight = null;
    }));
  }

  private async catchUp(): Promise<JobCounts> {
    if (!this.initialized) {
      await this.follower.init(true);
      this.initialized = true;
    }
    let { cursor, counters } = await this.follower.state();
    for (;;) {
      const entries = await this.journal.journal(cursor, BATCH);
      if (entries.length === 0) break;
      const increments: Record<string, number> = {};
      for (const entry of entries) {
        const status = entry.data.status as JobStatus;
        if (entry.type === 'status' && COUNTED.has(status)) increments[status] = (increments[status] ?? 0) + 1;
      }
      const next = entries[entries.length - 1]!.id;
      if (await this.follower.commit(cursor, next, { increments })) {
        cursor = next;
        for (const [key, n] of Object.entries(increments)) counters[key] = (counters[key] ?? 0) + n;
      } else {
        ({ cursor, counters } = await this.follower.state()); // another process counted them
      }
    }
    return { finished: counters.finished ?? 0, failed: counters.failed ?? 0, canceled: counters.canceled ?? 0 };
  }
}
