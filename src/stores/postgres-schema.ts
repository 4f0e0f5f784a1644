// Every table ttv keeps in PostgreSQL, as numbered migrations (postgres-migrations.ts applies the
// missing ones at startup). A released migration is never edited: a change is a new version.
// Tables are created unqualified; the runner sets the search path to postgres.schema.

export interface PostgresMigration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Version 1, the job store (src/jobs/postgres/): the same tables as SQLite's (sqlite-schema.ts) with
 * PostgreSQL types. Times a client sees are TIMESTAMPTZ (ms precision in, ISO strings out); leases and
 * heartbeats are in the database's clock, so hosts with skewed clocks agree on who holds what.
 *
 * Lock order of every write (docs/design-notes.md, "The job store on PostgreSQL"): job rows first,
 * then the journal head row (journal_head, taken by the last statement before COMMIT), then the shared
 * rows only the head holder touches: the status totals (deferred triggers, run at COMMIT), key spend
 * and owner turns. One order everywhere, so writes queue but never deadlock.
 */
const JOB_STORE_SQL = `
CREATE TABLE jobs (
  seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL,
  stage TEXT NOT NULL,
  progress INTEGER NOT NULL DEFAULT 0,
  prompt TEXT NOT NULL,
  request JSON NOT NULL,
  created_at TIMESTAMPTZ NOT NULL,
  started_at TIMESTAMPTZ,
  finished_at TIMESTAMPTZ,
  gcs_uri TEXT,
  artifact_uri TEXT,
  artifact_key TEXT,
  error TEXT,
  estimated_cost_usd DOUBLE PRECISION,
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_token TEXT,
  lease_expires_at TIMESTAMPTZ,
  idempotency_key TEXT UNIQUE,
  request_hash TEXT,
  log_seq INTEGER NOT NULL DEFAULT 0,
  event_seq INTEGER NOT NULL DEFAULT 0,
  owner_key_id TEXT
);
-- Claim order and queue positions (status, seq); owners' heads (status, owner, seq); listing by owner;
-- expired leases; the retention sweep's scan of ended jobs.
CREATE INDEX jobs_status_seq ON jobs (status, seq);
CREATE INDEX jobs_status_owner_seq ON jobs (status, owner_key_id, seq);
CREATE INDEX jobs_owner_seq ON jobs (owner_key_id, seq);
CREATE INDEX jobs_lease ON jobs (lease_expires_at) WHERE status IN ('started', 'progress');
CREATE INDEX jobs_finished_at ON jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE job_logs (
  job_seq BIGINT NOT NULL,
  n INTEGER NOT NULL,
  line TEXT NOT NULL,
  PRIMARY KEY (job_seq, n)
);
-- g: the store-wide journal number, given under the journal head's row lock (commit order = g order).
CREATE TABLE job_events (
  job_seq BIGINT NOT NULL,
  n INTEGER NOT NULL,
  type TEXT NOT NULL,
  data JSON NOT NULL,
  g BIGINT NOT NULL,
  at BIGINT NOT NULL,
  PRIMARY KEY (job_seq, n)
);
CREATE UNIQUE INDEX job_events_g ON job_events (g);

CREATE TABLE job_segments (
  job_id TEXT NOT NULL,
  segment INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (job_id, segment)
);
CREATE TABLE key_spend (
  owner_key_id TEXT NOT NULL,
  month TEXT NOT NULL,
  usd DOUBLE PRECISION NOT NULL DEFAULT 0,
  PRIMARY KEY (owner_key_id, month)
);
CREATE TABLE owner_turns (
  owner TEXT PRIMARY KEY,
  last_claim BIGINT NOT NULL
);
CREATE TABLE workers (
  id TEXT PRIMARY KEY,
  heartbeat_at TIMESTAMPTZ NOT NULL,
  blocked_reason TEXT
);
CREATE INDEX workers_heartbeat ON workers (heartbeat_at);

-- The same columns as SQLite's API_KEYS_SCHEMA, timestamps as ISO-8601 text as there (both stores hand
-- out the same strings): the key store writes it, the claim reads max_concurrent_jobs.
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  secret_hash TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  scope TEXT NOT NULL,
  rate_limit INTEGER,
  max_concurrent_jobs INTEGER,
  monthly_budget_usd DOUBLE PRECISION,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);

CREATE TABLE journal_head (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  g BIGINT NOT NULL
);
INSERT INTO journal_head (id, g) VALUES (1, 0);
CREATE TABLE journal_followers (
  name TEXT PRIMARY KEY,
  cursor TEXT,
  counters JSONB NOT NULL DEFAULT '{}',
  lease_owner TEXT,
  lease_expires_at TIMESTAMPTZ
);
CREATE TABLE journal_memos (
  follower TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (follower, key)
);

-- Jobs per status and the finished jobs' processing time, so that stats() reads a few rows. Kept by
-- deferred triggers: they run at COMMIT, after the transaction took the journal head, so the hot
-- total rows are only ever locked by the one head holder (an immediate trigger would lock them at
-- the job write and two writes changing statuses in opposite directions could deadlock).
CREATE TABLE job_status_counts (
  status TEXT PRIMARY KEY,
  n BIGINT NOT NULL
);
INSERT INTO job_status_counts (status, n) VALUES
  ('queued', 0), ('started', 0), ('progress', 0), ('finished', 0), ('failed', 0), ('canceled', 0);
CREATE TABLE job_durations (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  seconds DOUBLE PRECISION NOT NULL,
  finished BIGINT NOT NULL
);
INSERT INTO job_durations (id, seconds, finished) VALUES (1, 0, 0);

CREATE FUNCTION job_duration(status TEXT, started TIMESTAMPTZ, finished TIMESTAMPTZ) RETURNS DOUBLE PRECISION
  LANGUAGE sql IMMUTABLE SET search_path FROM CURRENT AS $$
  SELECT CASE WHEN status = 'finished' AND started IS NOT NULL AND finished IS NOT NULL
    THEN EXTRACT(EPOCH FROM finished - started)::DOUBLE PRECISION END
$$;

-- search_path pinned to ttv's schema as the migration ran, whoever's session fires the trigger.
CREATE FUNCTION job_stats_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  before_s DOUBLE PRECISION;
  after_s DOUBLE PRECISION;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    before_s := job_duration(OLD.status, OLD.started_at, OLD.finished_at);
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    after_s := job_duration(NEW.status, NEW.started_at, NEW.finished_at);
  END IF;
  IF TG_OP = 'INSERT' THEN
    UPDATE job_status_counts SET n = n + 1 WHERE status = NEW.status;
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE job_status_counts SET n = n - 1 WHERE status = OLD.status;
  ELSIF OLD.status IS DISTINCT FROM NEW.status THEN
    UPDATE job_status_counts SET n = n - 1 WHERE status = OLD.status;
    UPDATE job_status_counts SET n = n + 1 WHERE status = NEW.status;
  END IF;
  IF before_s IS DISTINCT FROM after_s THEN
    UPDATE job_durations SET seconds = seconds - COALESCE(before_s, 0) + COALESCE(after_s, 0),
      finished = finished - (before_s IS NOT NULL)::INT + (after_s IS NOT NULL)::INT WHERE id = 1;
  END IF;
  RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER job_stats AFTER INSERT OR UPDATE OR DELETE ON jobs
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION job_stats_change();
`;

/**
 * Version 2 ('access'): the rate-limit and authentication-failure counters of every API process
 * (api/plugins/postgres-window-counter.ts). UNLOGGED: a counter is written on every request and is
 * worth nothing after a crash, so it skips the WAL (after a crash or a failover to a standby the table
 * starts empty, which only gives every client a fresh window). (The API keys are version 1's: the
 * runner applies versions in order, so every schema has them before this.)
 */
const ACCESS_SQL = `
CREATE UNLOGGED TABLE rate_windows (
  client TEXT PRIMARY KEY,
  count INTEGER NOT NULL,
  window_end TIMESTAMPTZ NOT NULL
);
CREATE INDEX rate_windows_end ON rate_windows (window_end);
`;

export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  { version: 1, name: 'job store', sql: JOB_STORE_SQL },
  { version: 2, name: 'access', sql: ACCESS_SQL },
];
