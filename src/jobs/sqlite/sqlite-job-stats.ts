// Jobs per status and the finished jobs' processing time, kept by triggers on `jobs` so that stats()
// (every /metrics scrape and /readyz check) reads a few rows instead of counting the whole table:
// at 10,000 jobs the COUNT … GROUP BY plus the AVG over finished jobs took ~12 ms per call, and
// /metrics made two such calls. Triggers change the totals in the transaction of the write itself,
// whichever process (or ttv version) writes, so the totals are exact, never stale.
import type { Database as Db } from 'better-sqlite3';

/** Seconds a row adds to the processing-time total, or NULL (what AVG over finished jobs skips). */
function duration(row: 'NEW' | 'OLD'): string {
  return `(CASE WHEN ${row}.status = 'finished' AND ${row}.started_at IS NOT NULL
    THEN (julianday(${row}.finished_at) - julianday(${row}.started_at)) * 86400.0 END)`;
}

const STATS_SQL = `
CREATE TABLE IF NOT EXISTS job_status_counts (
  status TEXT PRIMARY KEY,
  n INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS job_durations (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seconds REAL NOT NULL,
  finished INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS job_stats_insert AFTER INSERT ON jobs BEGIN
  INSERT INTO job_status_counts (status, n) VALUES (NEW.status, 1) ON CONFLICT(status) DO UPDATE SET n = n + 1;
  UPDATE job_durations SET seconds = seconds + COALESCE(${duration('NEW')}, 0), finished = finished + (${duration('NEW')} IS NOT NULL)
    WHERE id = 1 AND ${duration('NEW')} IS NOT NULL;
END;
CREATE TRIGGER IF NOT EXISTS job_stats_status AFTER UPDATE OF status ON jobs WHEN OLD.status IS NOT NEW.status BEGIN
  UPDATE job_status_counts SET n = n - 1 WHERE status = OLD.status;
  INSERT INTO job_status_counts (status, n) VALUES (NEW.status, 1) ON CONFLICT(status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS job_stats_duration AFTER UPDATE OF status, started_at, finished_at ON jobs
  WHEN ${duration('OLD')} IS NOT ${duration('NEW')} BEGIN
  UPDATE job_durations SET seconds = seconds - COALESCE(${duration('OLD')}, 0) + COALESCE(${duration('NEW')}, 0),
    finished = finished - (${duration('OLD')} IS NOT NULL) + (${duration('NEW')} IS NOT NULL) WHERE id = 1;
END;
CREATE TRIGGER IF NOT EXISTS job_stats_delete AFTER DELETE ON jobs BEGIN
  UPDATE job_status_counts SET n = n - 1 WHERE status = OLD.status;
  UPDATE job_durations SET seconds = seconds - COALESCE(${duration('OLD')}, 0), finished = finished - (${duration('OLD')} IS NOT NULL)
    WHERE id = 1 AND ${duration('OLD')} IS NOT NULL;
END;
`;

/**
 * Creates the totals and their triggers; a database that had none (new, or written before them) gets
 * them counted once from its jobs, in the same write transaction, so no write falls between the count
 * and the first trigger (two processes opening it at once count it once).
 */
export function migrateJobStats(db: Db): void {
  db.transaction(() => {
    const existed = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'job_durations'`).get() !== undefined;
    db.exec(STATS_SQL);
    if (existed) return;
    db.exec('INSERT INTO job_status_counts (status, n) SELECT status, COUNT(*) FROM jobs GROUP BY status');
    db.exec(`INSERT INTO job_durations (id, seconds, finished)
      SELECT 1, COALESCE(SUM(d), 0), COUNT(d) FROM (SELECT (julianday(finished_at) - julianday(started_at)) * 86400.0 AS d
        FROM jobs WHERE status = 'finished' AND started_at IS NOT NULL)`);
  }).immediate();
}

export function prepareStatsStatements(db: Db) {
  return {
    counts: db.prepare<[], { status: string; n: number }>('SELECT status, n FROM job_status_counts'),
    durations: db.prepare<[], { seconds: number; finished: number }>('SELECT seconds, finished FROM job_durations WHERE id = 1'),
  };
}
