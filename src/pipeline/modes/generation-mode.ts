// A generation mode: which frames a run needs from the image provider, and how its segments are
// generated from them (see keyframe-mode.ts and chaining-mode.ts).
import type { ProbeResult } from '../../media/ffmpeg.js';
import type { GeneratorCapabilities } from '../../generators/types.js';

/** The frames the keyframe stage made: the first frame (generated or initial_image) and one per segment end. */
export interface Frames {
  initial: string | undefined;
  keyframes: string[];
}

/** A finished segment: its clip and the probe the stitch stage will use. */
export interface SegmentClip {
  /** The segment's 1-based number in the plan. */
  segment: number;
  path: string;
  probe: Promise<ProbeResult>;
}

/** What the segments stage offers a mode. */
export interface SegmentRun {
  total: number;
  framesDir: string;
  /** Generates segment `index` (0-based) between the given frames; reports its progress. */
  segment(
    index: number,
    firstFrame: string | undefined,
    lastFrame: string | undefined,
    lastFrameOutput?: string,
  ): Promise<SegmentClip>;
}

export interface GenerationMode {
  readonly name: 'keyframe' | 'chaining';
  /** Why a backend with these capabilities cannot run a plan of `segments` in this mode (see mode-problems.ts); null when it can. */
  backendProblem(generatorId: string, caps: GeneratorCapabilities, segments: number, model?: string): string | null;
  /** Keyframes made after the first frame: one per segment in keyframe mode. */
  keyframeCount(segments: number): number;
  /** Whether a first frame must be generated when initial_image is not given. */
  needsInitialFrame(caps: GeneratorCapabilities): boolean;
  /** Generates every segment from the frames. */
  runSegments(run: SegmentRun, frames: Frames): Promise<void>;
}
