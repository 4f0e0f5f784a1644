// Terminal job records never change again (nothing leaves a terminal state), so reads of them —
// what polling clients do once a job is done — can be served from memory by any adapter.
// A terminal record can still vanish (DELETE /v1/jobs/{id}, possibly through another API process on
// the same store), so an entry is trusted for `maxAgeMs` only: a deleted job answers 404 everywhere
// within that time, while a polled record still costs the store one read a second at most.
// Bounded; the oldest entry is evicted first.
import { isTerminal, type JobRecord } from './job.js';

export class TerminalRecordCache {
  private readonly records = new Map<string, { record: JobRecord; at: number }>();

  constructor(
    private readonly capacity = 10_000,
    private readonly maxAgeMs = 1000,
  ) {}

  get(id: string): JobRecord | undefined {
    const entry = this.records.get(id);
    if (!entry) return undefined;
    if (Date.now() - entry.at >= this.maxAgeMs) {
      this.records.delete(id);
      return undefined;
    }
    return entry.record;
  }

  /** Drops a record whose job was deleted through this process. */
  forget(id: string): void {
    this.records.delete(id);
  }

  /** Remembers the record if it is terminal; returns it unchanged. */
  remember(record: JobRecord): JobRecord {
    if (!isTerminal(record.status)) return record;
    this.records.delete(record.id); // re-inserted last: eviction order follows freshness
    if (this.records.size >= this.capacity) this.records.delete(this.records.keys().next().value!);
    this.records.set(record.id, { record, at: Date.now() });
    return record;
  }
}
