// Table layout of the embedded job store. `seq` orders jobs (FIFO claims, newest-first listing,
// cursors); leases live on the job row so that a claim, a renewal and a completion are each one
// conditional UPDATE, which SQLite serialises across threads and processes.

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
