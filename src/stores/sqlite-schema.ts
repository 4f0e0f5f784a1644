// Every table of the embedded store's one database file (ttv.db): jobs, their logs, events and segment
// records, workers, key spend, API keys, the journal and the stats totals; and the one migration that
// brings any older file up to date. The job store runs it at open; the key store creates its own table.
//
// The jobs table: `seq` orders jobs (FIFO claims, newest-first listing,
// cursors); leases live on the job row so that a claim, a renewal and a completion are each one
// conditional UPDATE, which SQLite serialises across threads and processes.

import type { Database as Db } from 'better-sqlite3';

/** Columns added after version 1, for databases created before them. */
export const ADDED_COLUMNS: [table: string, column: string, ddl: string][] = [
  ['jobs', 'event_seq', 'ALTER TABLE jobs ADD COLUMN event_seq INTEGER NOT NULL DEFAULT 0'],
  ['jobs', 'owner_key_id', 'ALTER TABLE jobs ADD COLUMN owner_key_id TEXT'],
  // Why the worker takes no new job now (its gate, e.g. low disk), NULL when it takes them.
  ['workers', 'blocked_reason', 'ALTER TABLE workers ADD COLUMN blocked_reason TEXT'],
];

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  stage TEXT NOT NULL,
  progress INTEGER NOT NULL DEFAULT 0,
  prompt TEXT NOT NULL,
  request TEXT NOT NULL,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  gcs_uri TEXT,
  artifact_uri TEXT,
  artifact_key TEXT,
  error TEXT,
  estimated_cost_usd REAL,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_token TEXT,
  lease_expires_at INTEGER,
  idempotency_key TEXT UNIQUE,
  request_hash TEXT,
  log_seq INTEGER NOT NULL DEFAULT 0,
  event_seq INTEGER NOT NULL DEFAULT 0,
  owner_key_id TEXT
);
CREATE INDEX IF NOT EXISTS jobs_status_seq ON jobs(status, seq);
CREATE INDEX IF NOT EXISTS jobs_lease ON jobs(status, lease_expires_at);
CREATE TABLE IF NOT EXISTS job_logs (
  job_seq INTEGER NOT NULL,
  n INTEGER NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (job_seq, n)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS job_events (
  job_seq INTEGER NOT NULL,
  n INTEGER NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (job_seq, n)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_spend (
  owner_key_id TEXT NOT NULL,
  month TEXT NOT NULL,
  usd REAL NOT NULL DEFAULT 0,
  PRIMARY KEY (owner_key_id, month)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS owner_turns (
  owner TEXT PRIMARY KEY,
  last_claim INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS job_segments (
  job_id TEXT NOT NULL,
  segment INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (job_id, segment)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS workers (
  id TEXT PRIMARY KEY,
  heartbeat_at INTEGER NOT NULL,
  blocked_reason TEXT
);
`;

/** Also created by the key store alone (`ttv keys` may open the file first); the job store's claim reads max_concurrent_jobs from it. */
export const API_KEYS_SCHEMA = `
CREATE TABLE IF NOT EXISTS api_keys (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  rate_limit INTEGER,
  max_concurrent_jobs INTEGER,
  monthly_budget_usd REAL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
`;

const JOURNAL_SQL = `
CREATE TABLE IF NOT EXISTS journal_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  g INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS journal_followers (
  name TEXT PRIMARY KEY,
  cursor TEXT,
  counters TEXT NOT NULL DEFAULT '{}',
  lease_owner TEXT,
  lease_expires_at INTEGER
);
CREATE TABLE IF NOT EXISTS journal_memos (
  follower TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (follower, key)
) WITHOUT ROWID;
`;

/** Adds the journal columns and tables; events written before them get `g` in (job, n) order. */
export function migrateJournal(db: Db): void {
  // One write transaction, checked inside it: two processes opening an older file at once migrate it once.
  db.transaction(() => {
    db.exec(JOURNAL_SQL);
    const columns = (db.prepare('PRAGMA table_info(job_events)').all() as { name: string }[]).map((c) => c.name);
    if (!columns.includes('at')) db.exec('ALTER TABLE job_events ADD COLUMN at INTEGER');
    if (!columns.includes('g')) {
      db.exec('ALTER TABLE job_events ADD COLUMN g INTEGER');
      db.exec(`UPDATE job_events SET g = r.rn FROM
        (SELECT job_seq, n, row_number() OVER (ORDER BY job_seq, n) AS rn FROM job_events) AS r
        WHERE job_events.job_seq = r.job_seq AND job_events.n = r.n`);
      db.exec('INSERT OR REPLACE INTO journal_head (id, g) VALUES (1, (SELECT COALESCE(MAX(g), 0) FROM job_events))');
    }
    db.exec('CREATE INDEX IF NOT EXISTS job_events_g ON job_events(g)');
  }).immediate();
}

// Jobs per status and the finished jobs' processing time, kept by triggers on `jobs` so that stats()
// (every /metrics scrape and /readyz check) reads a few rows instead of counting the whole table:
// at 10,000 jobs the COUNT … GROUP BY plus the AVG over finished jobs took ~12 ms per call, and
// /metrics made two such calls. Triggers change the totals in the transaction of the write itself,
// whichever process (or ttv version) writes, so the totals are exact, never stale.
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
    const existed =
      db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'job_durations'`).get() !== undefined;
    db.exec(STATS_SQL);
    if (existed) return;
    db.exec('INSERT INTO job_status_counts (status, n) SELECT status, COUNT(*) FROM jobs GROUP BY status');
    db.exec(`INSERT INTO job_durations (id, seconds, finished)
      SELECT 1, COALESCE(SUM(d), 0), COUNT(d) FROM (SELECT (julianday(finished_at) - julianday(started_at)) * 86400.0 AS d
        FROM jobs WHERE status = 'finished' AND started_at IS NOT NULL)`);
  }).immediate();
}

/** Creates every table of ttv.db and migrates an older file (columns, indexes, journal, stats totals). */
export function migrateJobDatabase(db: Db): void {
  db.exec(SCHEMA_SQL);
  for (const [table, column, ddl] of ADDED_COLUMNS) {
    const columns = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
    if (!columns.some((c) => c.name === column)) db.exec(ddl);
  }
  db.exec('CREATE INDEX IF NOT EXISTS jobs_owner_seq ON jobs(owner_key_id, seq)');
  db.exec('CREATE INDEX IF NOT EXISTS jobs_status_owner_seq ON jobs(status, owner_key_id, seq)');
  // The retention sweep's scan (expiredJobs): terminal jobs by the time they ended.
  db.exec('CREATE INDEX IF NOT EXISTS jobs_finished_at ON jobs(finished_at) WHERE finished_at IS NOT NULL');
  db.exec(API_KEYS_SCHEMA);
  migrateJournal(db);
  migrateJobStats(db);
}
