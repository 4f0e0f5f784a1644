// The store-wide journal on PostgreSQL: job_events rows carry a global number `g`, given under the
// journal head's row lock and committed in that order (postgres-transaction.ts), so reading "after g"
// never misses an entry that commits later. Followers keep their cursor, counters and lease in
// journal_followers (the lease in the database's clock), remembered payloads in journal_memos.
import { InvalidCursorError } from '../../errors/invalid-cursor-error.js';
import type { FollowerCommit, FollowerState, JobJournal, JournalEntry, JournalFollower } from '../job-journal.js';
import type { PostgresStore } from './postgres-store.js';

const AFTER_SQL = `SELECT e.g::text AS g, e.n, e.type, e.data, e.at::float8 AS at, j.id AS job_id
  FROM job_events e JOIN jobs j ON j.seq = e.job_seq WHERE e.g > $1 ORDER BY e.g LIMIT $2`;

export class PostgresJournal implements JobJournal {
  constructor(private readonly store: PostgresStore) {}

  async journal(after: string | null, limit: number): Promise<JournalEntry[]> {
    if (after !== null && !/^\d{1,15}$/.test(after)) throw new InvalidCursorError();
    const rows = await this.store.query<{
      g: string;
      n: number;
      type: JournalEntry['type'];
      data: Record<string, unknown>;
      at: number;
      job_id: string;
    }>(AFTER_SQL, [after === null ? 0 : Number(after), limit]);
    return rows.map((r) => ({ id: r.g, jobId: r.job_id, eventId: String(r.n), type: r.type, data: r.data, at: r.at }));
  }

  follower(name: string): JournalFollower {
    return new PostgresFollower(this.store, name);
  }
}

class PostgresFollower implements JournalFollower {
  constructor(
    private readonly store: PostgresStore,
    private readonly name: string,
  ) {}

  async init(fromStart: boolean): Promise<void> {
    await this.store.query(
      `INSERT INTO journal_followers (name, cursor)
       VALUES ($1, ${fromStart ? 'NULL' : '(SELECT g::text FROM journal_head WHERE id = 1)'})
       ON CONFLICT (name) DO NOTHING`,
      [this.name],
    );
  }

  async state(): Promise<FollowerState> {
    const [row] = await this.store.query<{ cursor: string | null; counters: Record<string, number> }>(
      'SELECT cursor, counters FROM journal_followers WHERE name = $1',
      [this.name],
    );
    return { cursor: row?.cursor ?? null, counters: row?.counters ?? {} };
  }

  /** One statement: the cursor, counters and forgotten memos move together, or nothing does. */
  async commit(expected: string | null, next: string, options: FollowerCommit = {}): Promise<boolean> {
    const increments = Object.entries(options.increments ?? {});
    const rows = await this.store.query<{ name: string }>(
      `WITH moved AS (
         UPDATE journal_followers f SET cursor = $3,
           counters = f.counters || COALESCE((
             SELECT jsonb_object_agg(i.key, COALESCE((f.counters ->> i.key)::float8, 0) + i.n)
             FROM unnest($5::text[], $6::float8[]) AS i(key, n)), '{}'::jsonb)
         WHERE f.name = $1 AND f.cursor IS NOT DISTINCT FROM $2 AND ($4::text IS NULL OR f.lease_owner = $4)
         RETURNING f.name
       ), forgotten AS (
         DELETE FROM journal_memos WHERE follower = $1 AND key = ANY($7::text[]) AND EXISTS (SELECT 1 FROM moved)
       )
       SELECT name FROM moved`,
      [
        this.name,
        expected,
        next,
        options.owner ?? null,
        increments.map(([k]) => k),
        increments.map(([, n]) => n),
        options.forget ?? [],
      ],
    );
    return rows.length === 1;
  }

  async lease(owner: string, ttlMs: number): Promise<boolean> {
    const rows = await this.store.query(
      `UPDATE journal_followers SET lease_owner = $2, lease_expires_at = clock_timestamp() + $3 * interval '1 millisecond'
       WHERE name = $1 AND (lease_owner IS NULL OR lease_owner = $2 OR lease_expires_at < clock_timestamp())
       RETURNING name`,
      [this.name, owner, ttlMs],
    );
    return rows.length === 1;
  }

  async release(owner: string): Promise<void> {
    await this.store.query(
      'UPDATE journal_followers SET lease_owner = NULL, lease_expires_at = NULL WHERE name = $1 AND lease_owner = $2',
      [this.name, owner],
    );
  }

  async remember(key: string, value: string): Promise<void> {
    await this.store.query(
      'INSERT INTO journal_memos (follower, key, value) VALUES ($1, $2, $3) ON CONFLICT (follower, key) DO NOTHING',
      [this.name, key, value],
    );
  }

  async put(key: string, value: string): Promise<void> {
    await this.store.query(
      `INSERT INTO journal_memos (follower, key, value) VALUES ($1, $2, $3)
       ON CONFLICT (follower, key) DO UPDATE SET value = EXCLUDED.value`,
      [this.name, key, value],
    );
  }

  async recall(key: string): Promise<string | null> {
    const [row] = await this.store.query<{ value: string }>(
      'SELECT value FROM journal_memos WHERE follower = $1 AND key = $2',
      [this.name, key],
    );
    return row?.value ?? null;
  }
}
