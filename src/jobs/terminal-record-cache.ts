// Terminal job records never change again (nothing leaves a terminal state), so reads of them —
// what polling clients do once a job is done — can be served from memory by any adapter.
// Bounded; the oldest entry is evicted first.
import { isTerminal, type JobRecord } from './job.js';

export class TerminalRecordCache {
  private readonly records = new Map<string, JobRecord>();

  constructor(private readonly capacity = 10_000) {}

  get(id: string): JobRecord | undefined {
    return this.records.get(id);
  }

  /** Drops a record whose job was deleted (in this process; other processes' caches keep theirs). */
  forget(id: string): void {
    this.records.delete(id);
  }

  /** Remembers the record if it is terminal; returns it unchanged. */
  remember(record: JobRecord): JobRecord {
    if (!isTerminal(record.status)) return record;
    if (this.records.size >= this.capacity) this.records.delete(this.records.keys().next().value!);
    this.records.set(record.id, record);
    return record;
  }
}
