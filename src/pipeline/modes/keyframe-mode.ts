// Keyframe mode: a keyframe at the end of every segment, each segment generated between two frames
// (first+last frame), so segments are independent and run up to parallel_segments at once.
import type { GenerationMode } from './generation-mode.js';
import { modeProblem } from './mode-problems.js';

export function keyframeMode(parallelSegments: number): GenerationMode {
  return {
    name: 'keyframe',
    backendProblem: (id, caps, segments, model) => modeProblem('keyframe', id, caps, segments, model),
    keyframeCount: (segments) => segments,
    // Keyframe mode always starts from a first frame.
    needsInitialFrame: () => true,
    async runSegments(run, { initial, keyframes }) {
      const limit = Math.max(1, Math.min(parallelSegments, run.total));
      let nextIndex = 0;
      const lane = async () => {
        while (nextIndex < run.total) {
          const index = nextIndex++;
          const first = index === 0 ? initial : keyframes[index - 1];
          await run.segment(index, first, keyframes[index]);
        }
      };
      await Promise.all(Array.from({ length: limit }, lane));
    },
  };
}
