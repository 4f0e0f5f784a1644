// Whether a backend can run a generation mode, decided before anything is paid for: by `ttv config
// check` and at start (the configured mode and default backend), at submission (a job's own backend,
// mode and segment count), and again after planning (the real segment count).
//
// A text-only model (fal-ai/veo3, MiniMax T2V-01) cannot run chaining past segment 1: segment 2
// starts on segment 1's last frame. ttv refuses such a plan rather than render every segment from
// text (which would give a video of unrelated shots, not a continuous one) or pay for segment 1 and
// then fail: only a plan of exactly one segment runs (docs/vendor-behaviour.md).

export interface FrameAbilities {
  textToVideo: boolean;
  imageToVideo: boolean;
  firstLastFrame: boolean;
}

/**
 * Why `backend` cannot run `mode` for a job of `segments` segments (null: as many as the planner
 * makes), or null when it can. `model` names the model setting for the message ("fal.model fal-ai/veo3").
 */
export function modeProblem(
  mode: 'keyframe' | 'chaining',
  backend: string,
  caps: FrameAbilities,
  segments: number | null,
  model?: string,
): string | null {
  const what = model ? `${backend} (${model})` : backend;
  if (mode === 'keyframe') {
    if (caps.firstLastFrame || caps.imageToVideo) return null;
    return `generation_mode keyframe needs a backend that takes frames; ${what} does not (choose a model that takes a first frame)`;
  }
  if (caps.imageToVideo) return null;
  if (!caps.textToVideo) return `generation_mode chaining needs an image-to-video backend; ${what} is not one`;
  if (segments === 1) return null;
  return (
    `generation_mode chaining starts every segment after the first on the previous segment's last frame, and ${what} renders from text only, ` +
    'so segment 1 would be paid for and segment 2 could not be made: choose a model that also takes a first frame, ' +
    'or make one segment per job (duration_seconds equal to segment_duration_seconds, or procedural.max_segments: 1 with the offline planner)'
  );
}
