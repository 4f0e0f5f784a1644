// What the job store keeps of each segment across attempts, so a crash never re-pays a vendor: the
// vendor task a segment created (recorded before the first poll, so a later attempt re-attaches to
// it instead of creating another) and, once the segment is finished, its clip and what it cost.

/** One vendor task, enough for any process to poll or cancel it again. */
export interface VendorTaskRecord {
  /** The backend that created it ("runway"). */
  backend: string;
  /** The catalog model id it renders with. */
  model: string;
  /** The vendor's task id, request id or operation name. */
  taskId: string;
  /** Further vendor handles needed to reach it (fal's status/response/cancel URLs). */
  handles?: Record<string, string>;
  /** ISO time of the create call's answer. */
  createdAt: string;
}

export interface SegmentRecord {
  /** 1-based segment number. */
  segment: number;
  /** sha256 of the segment's inputs (prompt, duration, ratio, frames' bytes): a change means a new task. */
  requestHash: string;
  task?: VendorTaskRecord;
  /**
   * A create sent (ISO time, backend, model) whose task is not recorded yet: found by a later attempt
   * without `task`, the vendor may have made the task (a crash while the create was in flight).
   */
  sending?: { backend: string; model: string; at: string };
  /**
   * Set when the segment is finished: where its clip is kept until the job ends, and what it cost.
   * `path`: a file under the data dir (local storage, or a record written before clips went to the
   * artifact store); `key`: an object in the artifact store (GCS/S3), for workers that share nothing else.
   */
  clip?: { path?: string; key?: string; costUsd: number };
}

/**
 * The store side (JobQueue implements it). Records are written only by the attempt holding the job's
 * lease (LeaseStore.recordSegment, JobContext.recordSegment), so a worker that lost the job cannot
 * overwrite what the new holder recorded. Removed with the job (JobQueue.remove).
 */
export interface SegmentRecordStore {
  /** The job's segment records, by segment number; empty when none (or the job does not exist). */
  segmentRecords(jobId: string): Promise<SegmentRecord[]>;
}

/** A stored record read back; null when it is not one (a record written by a newer version). */
export function parseSegmentRecord(text: string): SegmentRecord | null {
  try {
    const value = JSON.parse(text) as SegmentRecord;
    return typeof value?.segment === 'number' && typeof value.requestHash === 'string' ? value : null;
  } catch {
    return null;
  }
}
