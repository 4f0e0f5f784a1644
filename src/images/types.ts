// Planner and ImageGenerator ports: turning a prompt into segment prompts, and keyframe prompts into images.

export interface SegmentPlan {
  segment: number;
  /** What the clip shows. */
  videoPrompt: string;
  /** The still at the end of the segment (keyframe mode). */
  keyframePrompt: string;
}

export interface Plan {
  reasoning: string;
  segments: SegmentPlan[];
}

export interface PlanRequest {
  prompt: string;
  segmentDurationSeconds: number;
  /** Longest video prompt the chosen backend accepts. */
  maxPromptLength: number;
}

export interface Planner {
  readonly id: string;
  plan(request: PlanRequest, options: { signal: AbortSignal }): Promise<Plan>;
}

export interface ImageRequest {
  prompt: string;
  outputPath: string;
  /** Image-to-image source, when the provider supports it. */
  inputImage?: string;
  width: number;
  height: number;
  seedText?: string;
}

export interface ImageGenerator {
  readonly id: string;
  generate(request: ImageRequest, options: { signal: AbortSignal }): Promise<string>;
}
