// The store-wide event journal: every job's events (the same entries SSE streams per job) in one
// global order, and the durable state of the processes that follow it (webhook dispatcher, job
// counters). Followers keep a cursor in the store, so what they have not acknowledged survives a
// restart, and a lease, so that one process at a time follows.
export interface JournalEntry {
  /**
   * Increasing across the whole store; pass it as `after` to read on. Opaque to clients; inside ttv
   * two ids of one store compare with compareJournalIds (a number, or Redis's "ms-seq").
   */
  id: string;
  jobId: string;
  /** The same entry's id in the job's own journal (JobEvent.id, the SSE event id). */
  eventId: string;
  /** As in JobEvent (job-queue.ts). */
  type: 'status' | 'progress' | 'log';
  data: Record<string, unknown>;
  /** When the entry was written (ms since the epoch). */
  at: number;
}

export interface FollowerState {
  /** Last entry consumed; null = nothing consumed yet (start from the journal's beginning). */
  cursor: string | null;
  /** Running totals the follower keeps with its cursor (see commit). */
  counters: Record<string, number>;
}

export interface FollowerCommit {
  /** Lease holder the commit is made for; the commit fails when it no longer holds the lease. */
  owner?: string;
  /** Counter increments applied in the same atomic step as the cursor move. */
  increments?: Record<string, number>;
  /** Remembered payloads (see remember) to drop with this commit. */
  forget?: string[];
}

/** The durable state of one named journal follower, shared by every process on the store. */
export interface JournalFollower {
  /**
   * Creates the follower with its cursor at the journal's current end when it does not exist yet
   * (a new follower does not replay history); `fromStart` starts it at the beginning instead.
   */
  init(fromStart: boolean): Promise<void>;
  state(): Promise<FollowerState>;
  /**
   * Compare-and-set: moves the cursor from `expected` to `next` (with the increments) only when the
   * stored cursor is still `expected` (and `owner`, when given, holds the lease). False otherwise.
   */
  commit(expected: string | null, next: string, options?: FollowerCommit): Promise<boolean>;
  /** Takes the lease, or renews it when `owner` holds it; true when `owner` holds it for `ttlMs` from now. */
  lease(owner: string, ttlMs: number): Promise<boolean>;
  /** Lets the lease go at once (another process may take over) when `owner` holds it. */
  release(owner: string): Promise<void>;
  /** Keeps a payload under `key` until a commit forgets it (so a retry after a restart sends the same bytes); the first value stays. */
  remember(key: string, value: string): Promise<void>;
  /** As remember, but the value replaces what `key` held (for state only the lease holder writes). */
  put(key: string, value: string): Promise<void>;
  recall(key: string): Promise<string | null>;
}

/** The journal side of a job store (both adapters implement it next to JobQueue). */
export interface JobJournal {
  /** Entries after `after` (null = from the start), oldest first, at most `limit`. */
  journal(after: string | null, limit: number): Promise<JournalEntry[]>;
  follower(name: string): JournalFollower;
}

/**
 * Orders two entry ids of one store: negative when `a` comes first. Both adapters' ids are dash-separated
 * decimal numbers (SQLite: one global sequence number; Redis: a stream id, "ms-seq").
 */
export function compareJournalIds(a: string, b: string): number {
  const x = a.split('-').map(Number);
  const y = b.split('-').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
