// QueueStats from what each adapter keeps: jobs per status and the finished jobs' processing time
// (a sum of seconds and how many jobs it covers).
import type { JobStatus } from './job.js';
import type { QueueStats } from './job-queue.js';

export function queueStats(
  counts: Partial<Record<JobStatus, number>>,
  durations: { seconds: number; finished: number },
): QueueStats {
  const n = (status: JobStatus) => counts[status] ?? 0;
  const avg = durations.finished > 0 ? durations.seconds / durations.finished : 0;
  return {
    queued: n('queued'),
    active: n('started') + n('progress'),
    finished: n('finished'),
    failed: n('failed'),
    canceled: n('canceled'),
    total: Object.values(counts).reduce((a, b) => a + b, 0),
    averageProcessingSeconds: Math.round(avg * 1000) / 1000,
  };
}
