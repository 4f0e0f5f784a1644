// A pipeline ProgressReporter that keeps every progress event and log line, for assertions.
import type { JobStage } from '../../src/jobs/job.js';

export function recorder() {
  const events: { progress: number; stage: JobStage; message?: string }[] = [];
  const logs: string[] = [];
  return {
    events,
    logs,
    reporter: {
      progress: async (progress: number, stage: JobStage, message?: string) => {
        events.push({ progress, stage, message });
      },
      log: async (m: string) => {
        logs.push(m);
      },
    },
  };
}
