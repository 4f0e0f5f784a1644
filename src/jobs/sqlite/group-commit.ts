// Writes that arrive in the same turn of the event loop share one SQLite transaction, so a burst of
// submissions costs one WAL commit (and one share of the checkpoints that follow) instead of one
// each: measured, the commit was most of a submission's cost. Each write runs in its own savepoint,
// so one that throws (queue full, budget, a bad key) rolls back alone and the others commit; a
// caller hears back only after the shared commit, so an accepted write is durable when answered.
// Written here because no SQLite library batches across callers: better-sqlite3 is synchronous.
import type { Database as Db } from 'better-sqlite3';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled = false;

  // Made once: better-sqlite3 builds a transaction function's four variants each time it is asked.
  private readonly batchTransaction: (batch: Pending[], outcomes: Outcome[]) => void;
  private readonly savepoint: (work: () => unknown) => unknown;

  /** @param maxBatch writes per transaction at most: a bigger batch holds the event loop longer. */
  constructor(
    private readonly db: Db,
    private readonly maxBatch = 128,
  ) {
    this.savepoint = db.transaction((work: () => unknown) => work());
    this.batchTransaction = db.transaction((batch: Pending[], outcomes: Outcome[]) => {
      for (const item of batch) {
        try {
          outcomes.push({ ok: true, value: this.savepoint(item.work) });
        } catch (error) {
          // SQLite rolled the whole transaction back (disk full, I/O error): nothing of the batch
          // is written, and a later write must not commit on its own outside it.
          if (!this.db.inTransaction) throw error;
          outcomes.push({ ok: false, error });
        }
      }
    }).immediate;
  }

  /** Runs `work` (synchronous SQL) in the next shared transaction; settles after its commit. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  /** Commits what is waiting now (before the database closes). */
  flush(): void {
    while (this.pending.length > 0) this.commitBatch();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.commitBatch();
      if (this.pending.length > 0) this.schedule();
    });
  }

  private commitBatch(): void {
    const batch = this.pending.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    const outcomes: Outcome[] = [];
    try {
      this.batchTransaction(batch, outcomes);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }
}
