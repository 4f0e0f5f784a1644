// The job-log lines of the lifecycle, written by the consumer loop and the adapters' recovery, the
// same on every adapter.
import type { JobOutcome } from './job.js';

export const JOB_MESSAGES = {
  queued: 'Job queued',
  cancelRequested: 'Job cancellation requested',
  completed: (outcome: JobOutcome) => `Video generation completed: ${outcome.gcsUri ?? outcome.artifactUri}`,
  failed: (error: string) => `Job failed: ${error}`,
  handedBack: 'Worker shutting down; job handed back to the queue',
  workerLost: (attempt: number, maxAttempts: number) =>
    `Worker lost while running the job (attempt ${attempt} of ${maxAttempts}); retrying`,
  interrupted: (attempts: number, maxAttempts: number) =>
    `Job interrupted ${attempts} time(s): its worker stopped (crash or restart) and the attempt limit of ${maxAttempts} is reached`,
} as const;

export const DEFAULT_FAILURE = 'Job failed';
