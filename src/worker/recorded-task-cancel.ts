// A job canceled while no worker runs it (its worker crashed, the job waits for a retry) leaves
// the vendor tasks its segments recorded (jobs/segment-records.ts) running and billing. The
// canceling process sends each unfinished one the cancel of the backend that created it, built from
// the job's effective config; where the vendor documents no cancel, the job log says so and what it
// may still bill. A live worker cancels its own task as well; a second cancel is harmless.
import type { AppConfig } from '../config/schema.js';
import { applyJobOverrides } from '../job-options/config-overrides.js';
import type { JobRecord } from '../jobs/job.js';
import type { SegmentRecordStore } from '../jobs/segment-records.js';
import { createVideoBackendChain } from '../generators/registry.js';

export async function cancelRecordedTasks(
  job: JobRecord,
  config: AppConfig,
  store: SegmentRecordStore,
  log: (message: string) => Promise<void>,
): Promise<number> {
  const open = (await store.segmentRecords(job.id)).filter((r) => r.task && !r.clip);
  if (open.length === 0) return 0;
  const chain = createVideoBackendChain(applyJobOverrides(config, job.request));
  const lines: string[] = [];
  for (const record of open) {
    await chain.cancelTask(record.task!, (m) => lines.push(`Segment ${record.segment}: ${m}`));
  }
  for (const line of lines) await log(line);
  return open.length;
}
