// The Planner port: turning a prompt into segment prompts.

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
