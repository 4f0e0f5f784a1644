// A job's finished segment clips kept in the artifact store (remote storage; jobs/segment-records.ts)
// are temporary: removed when the job ends, by the worker that settles it, by any worker's periodic
// sweep that kept one of them, and at the latest by the retention sweep before the job's records go.
// What none of these reaches (a job whose records expired first) is left to the bucket's lifecycle
// rule on {prefix}/segments/ (docs/reliability.md).
import type { SegmentRecordStore } from '../jobs/segment-records.js';
import type { ArtifactStore } from './types.js';

/** Deletes the job's kept clip objects that its records name; how many. Throws when the store does. */
export async function removeKeptClips(
  jobId: string,
  records: SegmentRecordStore,
  store: ArtifactStore,
): Promise<number> {
  const keys = (await records.segmentRecords(jobId)).flatMap((r) => (r.clip?.key ? [r.clip.key] : []));
  for (const key of keys) await store.delete(key);
  return keys.length;
}
