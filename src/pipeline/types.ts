// What the worker hands the pipeline for one job attempt, and what it gets back.
import type { AppConfig } from '../config/schema.js';
import type { JobStage } from '../jobs/job.js';
import type { SegmentRecord } from '../jobs/segment-records.js';

/** The job's segment records across attempts (jobs/segment-records.ts), and where finished clips are kept. */
export interface SegmentLedger {
  records(): Promise<SegmentRecord[]>;
  /** Under the attempt's lease: throws LeaseLostError when the job is no longer this attempt's. */
  record(record: SegmentRecord): Promise<void>;
  /** Outside the attempt's scratch dir (<data_dir>/segments/<job_id>/), removed when the job ends. */
  dir: string;
  /**
   * Set when the artifact store is remote (GCS, S3): finished clips are kept there under job-scoped
   * keys instead of `dir`, so an attempt on another machine (another data dir) reuses them.
   */
  store?: {
    /** Uploads the clip; its key. */
    keep(localPath: string, name: string, signal: AbortSignal): Promise<string>;
    /** Downloads a kept clip; false when it is gone. */
    read(key: string, localPath: string, signal: AbortSignal): Promise<boolean>;
  };
}

export interface ProgressReporter {
  /** Monotonic progress 0..100 with the stage it belongs to and an optional job log line. */
  progress(progress: number, stage: JobStage, message?: string): Promise<void>;
  log(message: string): Promise<void>;
  /** Records the job's estimated cost (USD) as soon as it is known. */
  estimate?(usd: number): Promise<void>;
}

export interface PipelineRunContext {
  prompt: string;
  /** Effective config: file < env < CLI < the job's HTTP overrides. */
  config: AppConfig;
  /** Scratch directory for this attempt; the worker removes it on every outcome. */
  workDir: string;
  signal: AbortSignal;
  reporter: ProgressReporter;
  /** Segment records kept across attempts (a worker's job): finished clips reused, vendor tasks re-attached. */
  segments?: SegmentLedger;
  /** Exact number of segments the job asked for (duration_seconds); absent = as many as the planner makes. */
  segmentCount?: number;
  /**
   * A finished video this run starts from. `extend`: segment 1 starts on its last frame and the result
   * is that video followed by the new segments; `remix`: segment 1 starts on its first frame.
   */
  sourceVideo?: { path: string; use: 'extend' | 'remix' };
}

export interface PipelineResult {
  /** Absolute path of final_video.mp4 inside workDir. */
  finalVideoPath: string;
  segmentCount: number;
  /** Planned duration: segments × segment_duration_seconds. */
  plannedDurationSeconds: number;
  estimatedCostUsd: number;
}

export interface Pipeline {
  run(context: PipelineRunContext): Promise<PipelineResult>;
}
