// One write to one job on the PostgreSQL store, in one transaction: the job-row statements, then its
// log lines and journal events, NOTIFYs (delivered at COMMIT) and what must follow the journal head.
// The journal head row (journal_head) is locked by the last statements before COMMIT and held until
// it: every journal-writing transaction commits in the order it took `g`, so a reader that saw entry
// g has seen every entry below it (no gap fills in later), and the deferred stats triggers, key spend
// and owner turns are only ever touched by the head holder (one lock order: no deadlocks).
import type pg from 'pg';
import { MAX_EVENTS, MAX_LOG_LINES, formatLogLine } from '../job.js';
import type { JobEvent } from '../job-queue.js';
import { pgText } from './postgres-statements.js';

interface PendingEvent {
  type: JobEvent['type'];
  data: Record<string, unknown>;
}

/** A statement runner bound to one connection and a per-query timeout. */
export type Run = <R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values?: unknown[],
) => Promise<pg.QueryResult<R>>;

export function runnerOf(client: pg.ClientBase, timeoutMs: number): Run {
  return <R extends pg.QueryResultRow>(text: string, values: unknown[] = []) =>
    client.query<R>({ text, values, query_timeout: timeoutMs } as pg.QueryConfig);
}

// One statement, the last before COMMIT (the job's row is already locked by the transaction, so the
// only lock it waits for is the head's): the job's log and event counters, its log lines, the head's
// `g` for its events, the events, the trims to the newest MAX_LOG_LINES / MAX_EVENTS, the NOTIFYs.
// A job gone meanwhile (`b` empty) journals nothing, and the head is still locked for the commit.
const FINISH_SQL = `WITH b AS (
    UPDATE jobs SET event_seq = event_seq + $2, log_seq = log_seq + $3
    WHERE seq = $1 AND ($2 > 0 OR $3 > 0) RETURNING event_seq, log_seq
  ), l AS (
    INSERT INTO job_logs (job_seq, n, line)
    SELECT $1, b.log_seq - $3 + o.i, o.line FROM b, unnest($4::text[]) WITH ORDINALITY AS o(line, i)
  ), tl AS (
    DELETE FROM job_logs WHERE job_seq = $1 AND n <= (SELECT log_seq FROM b) - ${MAX_LOG_LINES}
  ), h AS (
    UPDATE journal_head SET g = g + (CASE WHEN EXISTS (SELECT 1 FROM b) THEN $2 ELSE 0 END) WHERE id = 1 RETURNING g
  ), e AS (
    INSERT INTO job_events (job_seq, n, type, data, g, at)
    SELECT $1, b.event_seq - $2 + o.i, o.type, o.data::json, h.g - $2 + o.i, $7
    FROM b, h, unnest($5::text[], $6::text[]) WITH ORDINALITY AS o(type, data, i)
  ), te AS (
    DELETE FROM job_events WHERE job_seq = $1 AND n <= (SELECT event_seq FROM b) - ${MAX_EVENTS}
  )
  SELECT (SELECT g FROM h) AS g,
    (SELECT count(*) FROM (SELECT pg_notify(c, p) FROM unnest($8::text[], $9::text[]) AS x(c, p)) s) AS sent`;

export class JobTransaction {
  private readonly events: PendingEvent[] = [];
  private readonly lines: string[] = [];
  private readonly notices: [channel: string, payload: string][] = [];
  private readonly afterHead: (() => Promise<void>)[] = [];
  private jobSeq: number | null = null;
  /** Whether the write happened (commit): a transaction that changed nothing rolls back. */
  private changed = false;

  constructor(readonly run: Run) {}

  /** Marks the job this transaction writes (its row is already locked or written by it). */
  touch(jobSeq: number): void {
    this.jobSeq = jobSeq;
    this.changed = true;
  }

  event(type: JobEvent['type'], data: Record<string, unknown>): void {
    this.events.push({ type, data });
  }

  /** A log line, with its 'log' journal event (at its place among the events). */
  log(message: string, at: Date = new Date()): void {
    const line = pgText(formatLogLine(message, at));
    this.lines.push(line);
    this.events.push({ type: 'log', data: { line } });
  }

  notify(channel: string, payload = ''): void {
    this.notices.push([channel, payload]);
  }

  /** Runs after the head lock is held (and so, alone among writers): shared totals, limits. */
  thenUnderHead(work: () => Promise<void>): void {
    this.afterHead.push(work);
  }

  /** The NOTIFYs sent (delivered at COMMIT), for this process's own listeners right after it. */
  get sent(): readonly [channel: string, payload: string][] {
    return this.notices;
  }

  get hasChanges(): boolean {
    return this.changed;
  }

  /** The log lines, journal events and NOTIFYs of the touched job (one statement), then the after-head work. */
  async finish(): Promise<void> {
    if (this.jobSeq === null) return;
    await this.run(FINISH_SQL, [
      this.jobSeq,
      this.events.length,
      this.lines.length,
      this.lines,
      this.events.map((e) => e.type),
      this.events.map((e) => JSON.stringify(e.data)),
      Date.now(),
      this.notices.map((n) => n[0]),
      this.notices.map((n) => n[1]),
    ]);
    for (const work of this.afterHead) await work();
  }
}
