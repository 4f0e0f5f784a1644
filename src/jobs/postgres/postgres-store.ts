// What the PostgreSQL queue and its lease stores share in one process: the pool, the schema made
// ready once (migrations at open, awaited by every call: openJobQueue stays synchronous), the one
// LISTEN connection, and how a read or a write transaction runs and fails (StoreUnavailableError
// for a database that cannot be reached, so the API answers 503 and workers retry).
import type pg from 'pg';
import type { PostgresConfig } from '../../config/schema.js';
import { StoreUnavailableError } from '../../errors/store-unavailable-error.js';
import { openPostgresPool, POSTGRES_REQUEST_TIMEOUT_MS } from '../../stores/postgres-pool.js';
import { migrateOnce } from '../../stores/postgres-migrate-once.js';
import { isPostgresUnavailable, postgresStoreError } from '../../stores/postgres-errors.js';
import { PostgresListener, postgresChannels, type PostgresChannels } from './postgres-listener.js';
import { JobTransaction, runnerOf, type Run } from './postgres-transaction.js';
import { POSITION_SQL, ROW_COLUMNS, toRecord, type JobRow } from './postgres-statements.js';
import type { JobRecord } from '../job.js';

/** A worker's statements may wait longer than a request's before they count as failed (then retried). */
export const POSTGRES_WORKER_TIMEOUT_MS = 5000;

export class PostgresStore {
  readonly pool: pg.Pool;
  readonly channels: PostgresChannels;
  readonly listener: PostgresListener;
  private readonly migrate: (waitMs?: number) => Promise<void>;
  private closed = false;

  constructor(readonly config: PostgresConfig) {
    this.pool = openPostgresPool(config, {
      queryTimeoutMs: POSTGRES_REQUEST_TIMEOUT_MS,
      applicationName: 'ttv job store',
    });
    this.channels = postgresChannels(config);
    this.listener = new PostgresListener(config, this.channels);
    this.migrate = migrateOnce(config);
    void this.migrate().catch(() => undefined); // migrate now; a failure is retried by the next call
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * The schema is migrated (once per process, on a connection of its own: stores/postgres-migrate-once.ts).
   * A call on the request path waits no longer than a query would (then 503; the run goes on);
   * `untilDone` waits for the run itself (the start of `ttv serve`).
   */
  async ready(untilDone = false): Promise<void> {
    if (this.closed) throw new StoreUnavailableError('Job store is closed');
    try {
      await this.migrate(untilDone ? undefined : POSTGRES_REQUEST_TIMEOUT_MS);
    } catch (err) {
      const mapped = postgresStoreError(err);
      if (mapped !== err) throw mapped;
      // Still running (another process holds the migration lock, or the server is slow): try again soon.
      if (err instanceof Error && /did not finish within/.test(err.message))
        throw new StoreUnavailableError('Job store schema not ready yet (PostgreSQL migration running)', {
          cause: err,
        });
      throw err;
    }
  }

  /** One statement outside a transaction. */
  async query<R extends pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
    timeoutMs = POSTGRES_REQUEST_TIMEOUT_MS,
  ): Promise<R[]> {
    await this.ready();
    try {
      const result = await this.pool.query<R>({ text, values, query_timeout: timeoutMs } as pg.QueryConfig);
      return result.rows;
    } catch (err) {
      throw postgresStoreError(err);
    }
  }

  /**
   * Runs `work` in one transaction on one pooled connection: committed (with the journal, logs and
   * NOTIFYs it gathered: postgres-transaction.ts) when it touched a job, else rolled back. A thrown
   * error rolls back; a connection that failed is dropped from the pool, not reused (so a transaction
   * given up on before its COMMIT is rolled back by the server). `onCommitUnknown` is called when the
   * connection failed during the COMMIT itself, whose outcome is then unknown.
   */
  async write<T>(
    work: (tx: JobTransaction) => Promise<T>,
    timeoutMs = POSTGRES_REQUEST_TIMEOUT_MS,
    onCommitUnknown?: () => void,
  ): Promise<T> {
    await this.ready();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw postgresStoreError(err);
    }
    let broken = false;
    let committing = false;
    try {
      const run = runnerOf(client, timeoutMs);
      await run('BEGIN');
      const tx = new JobTransaction(run);
      const result = await work(tx);
      if (tx.hasChanges) {
        await tx.finish();
        committing = true;
        await run('COMMIT');
        for (const [channel, payload] of tx.sent) this.listener.deliver(channel, payload);
      } else {
        await run('ROLLBACK');
      }
      return result;
    } catch (err) {
      broken = isPostgresUnavailable(err);
      // The COMMIT was sent but its answer never came: the server may still have committed it.
      if (broken && committing) onCommitUnknown?.();
      if (!broken)
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
      throw postgresStoreError(err);
    } finally {
      client.release(broken || undefined);
    }
  }

  /** The job's row, or null. */
  async row(run: Run | null, id: string): Promise<JobRow | null> {
    const sql = `SELECT ${ROW_COLUMNS} FROM jobs WHERE id = $1`;
    if (run) return (await run<JobRow>(sql, [id])).rows[0] ?? null;
    return (await this.query<JobRow>(sql, [id]))[0] ?? null;
  }

  /** The record of a row, with its queue position when queued (known, or counted now). */
  async record(row: JobRow, knownPosition?: number, run?: Run): Promise<JobRecord> {
    if (row.status !== 'queued') return toRecord(row, null);
    if (knownPosition !== undefined) return toRecord(row, knownPosition);
    const rows = run
      ? (await run<{ n: number }>(POSITION_SQL, [row.seq])).rows
      : await this.query(POSITION_SQL, [row.seq]);
    return toRecord(row, (rows[0] as { n: number } | undefined)?.n ?? 1);
  }

  /** Worker heartbeats this recent count as live. */
  workerTtlMs(heartbeatMs: number): number {
    return Math.max(3 * heartbeatMs, 3000);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.listener.close();
    await this.pool.end().catch(() => undefined);
  }
}
