// VideoGenerator port: one backend that turns a prompt (and optional frames) into a local clip.
import type { ProbeResult } from '../media/ffmpeg.js';
import type { PollFloor } from './remote/poll-floor.js';
import type { CatalogModel } from '../catalog/model-catalog.js';
import type { VendorTaskRecord } from '../jobs/segment-records.js';

export type { VendorTaskRecord } from '../jobs/segment-records.js';

/** Durable vendor tasks: how a segment's task outlives the attempt (and the process) that created it. */
export interface SegmentTaskHooks {
  /** The task an earlier attempt created for this segment with the same inputs: re-attach, do not create. */
  recorded?: VendorTaskRecord;
  /**
   * Called once the vendor created a task, before its first poll. Resolves once the record is stored,
   * or once the store failed it (a stall: it is retried while the task is followed, since the task is
   * paid). Throws only when the job is no longer this attempt's: then the generator cancels the task.
   */
  record(task: VendorTaskRecord): Promise<void>;
  /**
   * Called (awaited) just before a create request is sent: an attempt that dies between this and
   * `record` leaves a create whose outcome a later attempt cannot know, so that attempt does not send it again.
   */
  sending?(backend: string, model: string): Promise<void>;
}

/** The catalog row a backend renders with, and the config key that chose it ("google_veo.veo_model"). */
export interface ConfiguredModel {
  key: string;
  row: CatalogModel;
}

export interface GeneratorCapabilities {
  /** Durations the backend accepts, in seconds; a clip of another length is rejected by validate. */
  minDurationSeconds: number;
  maxDurationSeconds: number;
  /** The exact lengths the model renders, where it renders only some (4, 6, 8); undefined = any in range. */
  durations?: number[];
  textToVideo: boolean;
  imageToVideo: boolean;
  firstLastFrame: boolean;
  maxPromptLength: number;
  /** Aspect ratios ("16:9") the backend renders; undefined = any. */
  aspectRatios?: string[];
  /** The aspect ratio it renders when a job asks for none, where that is not the first of aspectRatios. */
  defaultAspectRatio?: string;
}

export interface GenerateRequest {
  prompt: string;
  durationSeconds: number;
  /** Absolute path of the first frame (image-to-video), if any. */
  firstFrame?: string;
  /** Absolute path of the last frame (first+last-frame backends), if any. */
  lastFrame?: string;
  /** Where to write the clip (.mp4). */
  outputPath: string;
  /**
   * Optional: where to also write the clip's last frame as PNG, for backends that can do it as a
   * by-product (chaining needs it). The pipeline extracts it itself when the file is not there.
   */
  lastFrameOutput?: string;
  /** Segment number, 1-based, for logs and deterministic seeds. */
  segment: number;
  /** Requested aspect ratio ("16:9"), checked against capabilities before any paid call. */
  aspectRatio?: string;
}

export interface GenerateHooks {
  signal: AbortSignal;
  /** 0..1 progress within this clip. */
  onProgress?: (fraction: number) => void;
  log?: (message: string) => void;
  /** Present when the run keeps segment records (a worker's job); absent for `ttv generate`. */
  task?: SegmentTaskHooks;
}

/** A finished clip. */
export interface GenerateResult {
  /** Where the clip is (request.outputPath). */
  path: string;
  /** What making it cost in USD (estimated from the backend's price list; 0 for local backends). */
  costUsd: number;
  /** The clip's probe, when the generator already took one (the fallback chain's clip check), so it is not probed twice. */
  probe?: ProbeResult;
}

export interface VideoGenerator {
  readonly id: string;
  /** The catalog model this backend is configured with (vendor backends; local ones have none). */
  readonly configuredModel?: ConfiguredModel;
  /** For a backend that polls its vendor: the shortest interval it polls at (remote/poll-floor.ts). */
  readonly pollFloor?: PollFloor;
  capabilities(): GeneratorCapabilities;
  /** Problems with the request, empty when valid; checked before any paid call. */
  validate(request: Omit<GenerateRequest, 'outputPath'>): string[];
  estimateCost(durationSeconds: number): number;
  /** Writes the clip to request.outputPath; says where it is and what it cost. */
  generate(request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult>;
  /**
   * Optional (vendor backends that can): re-attaches to a task this backend created earlier, in any
   * process, polling it by id and downloading its clip as generate would, without creating a task.
   * Its deadline runs from the task's creation. A task the vendor no longer knows throws
   * TaskGoneError (then a new task may be created).
   */
  resume?(task: VendorTaskRecord, request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult>;
  /** Optional (vendors that document a cancel): sends it for a recorded task; logged, never thrown. */
  cancelTask?(task: VendorTaskRecord, log?: (message: string) => void): Promise<void>;
}
