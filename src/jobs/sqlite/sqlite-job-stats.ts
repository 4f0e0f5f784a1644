// Reads the per-status totals and processing time kept by triggers (stores/sqlite-schema.ts).
import type { Database as Db } from 'better-sqlite3';

export function prepareStatsStatements(db: Db) {
  return {
    counts: db.prepare<[], { status: string; n: number }>('SELECT status, n FROM job_status_counts'),
    durations: db.prepare<[], { seconds: number; finished: number }>(
      'SELECT seconds, finished FROM job_durations WHERE id = 1',
    ),
  };
}
