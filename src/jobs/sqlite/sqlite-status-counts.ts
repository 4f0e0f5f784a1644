// How many jobs are in each status, kept by triggers on `jobs` in the same transaction as every
// insert, status change and delete, so that every path (submit, claim, hand-back, cancel, expiry,
// delete, retention, another process on the same file) keeps it right without knowing of it.
// What it buys: "how many are queued" (a new job's queue position, the queue limit) is one row read
// instead of an index scan over every queued job, which made each submission O(queued).
import type { Database as Db } from 'better-sqlite3';

export const STATUS_COUNTS_TABLE = 'job_status_counts';
const TABLE = STATUS_COUNTS_TABLE;

const TRIGGERS_SQL = `
CREATE TRIGGER IF NOT EXISTS job_status_counts_insert AFTER INSERT ON jobs BEGIN
  INSERT INTO ${TABLE} (status, n) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS job_status_counts_update AFTER UPDATE OF status ON jobs WHEN OLD.status IS NOT NEW.status BEGIN
  UPDATE ${TABLE} SET n = n - 1 WHERE status = OLD.status;
  INSERT INTO ${TABLE} (status, n) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS job_status_counts_delete AFTER DELETE ON jobs BEGIN
  UPDATE ${TABLE} SET n = n - 1 WHERE status = OLD.status;
END;
`;

/**
 * Creates the table and its triggers. A database from before them gets its counts from one
 * GROUP BY, in the same immediate transaction that installs the triggers, so no write slips between.
 */
export function migrateStatusCounts(db: Db): void {
  db.transaction(() => {
    const exists = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(TABLE) !== undefined;
    if (!exists) {
      db.exec(`CREATE TABLE ${TABLE} (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID`);
      db.exec(`INSERT INTO ${TABLE} (status, n) SELECT status, COUNT(*) FROM jobs GROUP BY status`);
    }
    db.exec(TRIGGERS_SQL);
  }).immediate();
}
