// Rate-limit windows in PostgreSQL, shared by every API process on the database: one UPSERT per hit
// counts it and answers the count and the window's end in one round trip, on the database's clock (as
// Redis keeps the window's expiry), so API hosts whose clocks differ still share one window.
import type pg from 'pg';
import { POSTGRES_REQUEST_TIMEOUT_MS } from '../../stores/postgres-pool.js';
import { MemoryWindowCounter, WINDOW_MS, type WindowCount, type WindowCounter } from './window-counter.js';

// A window that has ended starts again at this hit; otherwise the hit is counted in it. Every
// expression of SET reads the row as it was, RETURNING the row as it is now.
const ADD_SQL = `INSERT INTO rate_windows AS w (client, count, window_end)
VALUES ($1, 1, now() + $2 * interval '1 millisecond')
ON CONFLICT (client) DO UPDATE SET
  count = CASE WHEN w.window_end > now() THEN w.count + 1 ELSE 1 END,
  window_end = CASE WHEN w.window_end > now() THEN w.window_end ELSE EXCLUDED.window_end END
RETURNING count, ceil(extract(epoch FROM window_end - now()) * 1000)::int AS reset_ms`;

// Ended windows of clients that did not come back, a bounded batch at a time. The outer condition is
// checked again on a row that a hit renewed meanwhile, so a live window is never deleted; rows being
// counted right now are skipped, not waited for.
const SWEEP_SQL = `DELETE FROM rate_windows WHERE window_end < now() AND client IN (
  SELECT client FROM rate_windows WHERE window_end < now() LIMIT $1 FOR UPDATE SKIP LOCKED)`;

export interface PostgresWindowCounterOptions {
  /** Prepended to each client, so that several limits (rate limit, auth failures) share the table. */
  prefix: string;
  /** Resolves once the table exists (the schema's migration, waited for at most `waitMs`); a failure counts the hit in this process. */
  ready?: (waitMs: number) => Promise<void>;
  /** How long a hit waits for the migration (default: the request path's timeout). */
  readyWaitMs?: number;
  windowMs?: number;
  /** Ended windows are swept at most this often per process (a hit starts the sweep, in the background). */
  sweepIntervalMs?: number;
  /** Rows one sweep deletes at most; a full batch lets the next hit sweep again. */
  sweepBatch?: number;
}

export class PostgresWindowCounter implements WindowCounter {
  private readonly fallback = new MemoryWindowCounter();
  private readonly windowMs: number;
  private readonly sweepIntervalMs: number;
  private readonly sweepBatch: number;
  private migrated = false;
  private lastSweep = 0;
  private sweeping: Promise<number> | null = null;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: PostgresWindowCounterOptions,
  ) {
    this.windowMs = options.windowMs ?? WINDOW_MS;
    this.sweepIntervalMs = options.sweepIntervalMs ?? WINDOW_MS;
    this.sweepBatch = options.sweepBatch ?? 1000;
    if (!options.ready) this.migrated = true;
  }

  async add(client: string, now: number): Promise<WindowCount> {
    try {
      if (!this.migrated) {
        await this.options.ready!(this.options.readyWaitMs ?? POSTGRES_REQUEST_TIMEOUT_MS);
        this.migrated = true;
      }
      // Named: prepared once per pooled connection, since every limited request runs it.
      const { rows } = await this.pool.query<{ count: number; reset_ms: number }>({
        name: 'ttv-window-add',
        text: ADD_SQL,
        values: [`${this.options.prefix}${client}`, this.windowMs],
      });
      const row = rows[0]!;
      if (now - this.lastSweep >= this.sweepIntervalMs) void this.sweep().catch(() => undefined);
      return { count: row.count, resetMs: row.reset_ms > 0 ? row.reset_ms : this.windowMs };
    } catch {
      // PostgreSQL away: count in this process rather than stop counting (as the Redis counter does).
      return this.fallback.add(client, now);
    }
  }

  /** Deletes one batch of ended windows (one sweep at a time per process); the number deleted. */
  sweep(): Promise<number> {
    this.lastSweep = Date.now();
    this.sweeping ??= this.pool
      .query(SWEEP_SQL, [this.sweepBatch])
      .then((result) => {
        const deleted = result.rowCount ?? 0;
        // A full batch: more may be waiting, so the next hit sweeps again rather than a minute later.
        if (deleted >= this.sweepBatch) this.lastSweep = 0;
        return deleted;
      })
      .finally(() => {
        this.sweeping = null;
      });
    return this.sweeping;
  }
}
