// Which journal entries become webhooks: a job's status changes (started, finished, failed,
// canceled) and its progress, the latter at most once per job per progress_interval_seconds of
// journal time (so a backlog read after a restart is thinned the same way as live events).
import type { JournalEntry } from '../jobs/job-journal.js';
import type { JobStatus } from '../jobs/job.js';

export type WebhookEvent = 'job.started' | 'job.progress' | 'job.finished' | 'job.failed' | 'job.canceled';

// The status entry of a job's first progress write comes with a progress entry whenever progress or
// stage changed, which is the one that becomes job.progress (not both).
const BY_STATUS: Partial<Record<JobStatus, WebhookEvent>> = {
  started: 'job.started',
  finished: 'job.finished',
  failed: 'job.failed',
  canceled: 'job.canceled',
};

export class WebhookEventMapper {
  private readonly lastProgress = new Map<string, number>();

  constructor(private readonly progressIntervalMs: number) {}

  /** The webhook event of a journal entry, or null when it is none (or a throttled progress). */
  map(entry: JournalEntry): WebhookEvent | null {
    let type: WebhookEvent | null = null;
    if (entry.type === 'status') type = BY_STATUS[entry.data.status as JobStatus] ?? null;
    else if (entry.type === 'progress') type = 'job.progress';
    if (type === 'job.progress') {
      const last = this.lastProgress.get(entry.jobId);
      if (last !== undefined && entry.at - last < this.progressIntervalMs) return null;
      this.lastProgress.set(entry.jobId, entry.at);
    } else if (type === 'job.finished' || type === 'job.failed' || type === 'job.canceled') {
      this.lastProgress.delete(entry.jobId);
    }
    return type;
  }

  reset(): void {
    this.lastProgress.clear();
  }
}

/** The fields of a journal entry that describe the job at that moment (laid over the job view). */
export function entrySnapshot(entry: JournalEntry): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields =
    entry.type === 'status' ? ['status', 'stage', 'progress', 'error', 'artifact_uri'] : ['stage', 'progress'];
  for (const field of fields) if (field in entry.data) out[field] = entry.data[field];
  if (entry.type === 'progress') out.status = 'progress';
  return out;
}
