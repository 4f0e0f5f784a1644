// The store-wide journal of the embedded store: job_events rows carry a global sequence number `g`
// (taken from a one-row counter in the same transaction as the insert; SQLite serialises writers,
// so commit order is `g` order and a reader never sees a gap that fills in later) and the time they
// were written. Followers keep their cursor, counters and lease in journal_followers.
import type { Database as Db, Statement } from 'better-sqlite3';
import { InvalidCursorError } from '../../errors/invalid-cursor-error.js';
import type { FollowerCommit, FollowerState, JobJournal, JournalEntry, JournalFollower } from '../job-journal.js';

export class SqliteJournal implements JobJournal {
  private readonly nextG: Statement;
  private readonly after: Statement;

  constructor(
    private readonly db: Db,
    private readonly guard: <T>(fn: () => T) => T,
  ) {
    this.nextG = db.prepare(
      'INSERT INTO journal_head (id, g) VALUES (1, 1) ON CONFLICT(id) DO UPDATE SET g = g + 1 RETURNING g',
    );
    this.after =
      db.prepare(`SELECT e.g, e.n, e.type, e.data, e.at, j.id AS job_id FROM job_events e JOIN jobs j ON j.seq = e.job_seq
      WHERE e.g > ? ORDER BY e.g LIMIT ?`);
  }

  /** The next global sequence number; call inside the transaction that inserts the event. */
  next(): number {
    return (this.nextG.get() as { g: number }).g;
  }

  async journal(after: string | null, limit: number): Promise<JournalEntry[]> {
    if (after !== null && !/^\d{1,15}$/.test(after)) throw new InvalidCursorError();
    return this.guard(() => {
      const rows = this.after.all(after === null ? 0 : Number(after), limit) as {
        g: number;
        n: number;
        type: JournalEntry['type'];
        data: string;
        at: number | null;
        job_id: string;
      }[];
      return rows.map((r) => ({
        id: String(r.g),
        jobId: r.job_id,
        eventId: String(r.n),
        type: r.type,
        data: JSON.parse(r.data) as Record<string, unknown>,
        at: r.at ?? 0,
      }));
    });
  }

  follower(name: string): JournalFollower {
    return new SqliteFollower(this.db, name, this.guard);
  }
}

class SqliteFollower implements JournalFollower {
  constructor(
    private readonly db: Db,
    private readonly name: string,
    private readonly guard: <T>(fn: () => T) => T,
  ) {}

  async init(fromStart: boolean): Promise<void> {
    this.guard(() => {
      this.db
        .prepare(
          `INSERT INTO journal_followers (name, cursor) VALUES (?, ${fromStart ? 'NULL' : '(SELECT CAST(COALESCE(MAX(g), 0) AS TEXT) FROM journal_head)'})
        ON CONFLICT(name) DO NOTHING`,
        )
        .run(this.name);
    });
  }

  async state(): Promise<FollowerState> {
    return this.guard(() => {
      const row = this.db.prepare('SELECT cursor, counters FROM journal_followers WHERE name = ?').get(this.name) as
        { cursor: string | null; counters: string } | undefined;
      return { cursor: row?.cursor ?? null, counters: row ? (JSON.parse(row.counters) as Record<string, number>) : {} };
    });
  }

  async commit(expected: string | null, next: string, options: FollowerCommit = {}): Promise<boolean> {
    return this.guard(() =>
      this.db
        .transaction((): boolean => {
          const row = this.db
            .prepare('SELECT cursor, counters, lease_owner FROM journal_followers WHERE name = ?')
            .get(this.name) as { cursor: string | null; counters: string; lease_owner: string | null } | undefined;
          if (!row || row.cursor !== expected) return false;
          if (options.owner !== undefined && row.lease_owner !== options.owner) return false;
          const counters = JSON.parse(row.counters) as Record<string, number>;
          for (const [key, n] of Object.entries(options.increments ?? {})) counters[key] = (counters[key] ?? 0) + n;
          this.db
            .prepare('UPDATE journal_followers SET cursor = ?, counters = ? WHERE name = ?')
            .run(next, JSON.stringify(counters), this.name);
          const forget = this.db.prepare('DELETE FROM journal_memos WHERE follower = ? AND key = ?');
          for (const key of options.forget ?? []) forget.run(this.name, key);
          return true;
        })
        .immediate(),
    );
  }

  async lease(owner: string, ttlMs: number): Promise<boolean> {
    return this.guard(() => {
      const now = Date.now();
      const result = this.db
        .prepare(
          `UPDATE journal_followers SET lease_owner = @owner, lease_expires_at = @expires
        WHERE name = @name AND (lease_owner IS NULL OR lease_owner = @owner OR lease_expires_at < @now)`,
        )
        .run({ owner, expires: now + ttlMs, now, name: this.name });
      return result.changes === 1;
    });
  }

  async release(owner: string): Promise<void> {
    this.guard(() => {
      this.db
        .prepare(
          'UPDATE journal_followers SET lease_owner = NULL, lease_expires_at = NULL WHERE name = ? AND lease_owner = ?',
        )
        .run(this.name, owner);
    });
  }

  async remember(key: string, value: string): Promise<void> {
    this.guard(() => {
      this.db
        .prepare(
          'INSERT INTO journal_memos (follower, key, value) VALUES (?, ?, ?) ON CONFLICT(follower, key) DO NOTHING',
        )
        .run(this.name, key, value);
    });
  }

  async put(key: string, value: string): Promise<void> {
    this.guard(() => {
      this.db
        .prepare(
          'INSERT INTO journal_memos (follower, key, value) VALUES (?, ?, ?) ON CONFLICT(follower, key) DO UPDATE SET value = excluded.value',
        )
        .run(this.name, key, value);
    });
  }

  async recall(key: string): Promise<string | null> {
    return this.guard(
      () =>
        (
          this.db.prepare('SELECT value FROM journal_memos WHERE follower = ? AND key = ?').get(this.name, key) as
            { value: string } | undefined
        )?.value ?? null,
    );
  }
}
