// Progress milestones and their job log lines, as the Python worker wrote them.
export const MILESTONES = {
  setup: { progress: 5, message: 'Setting up pipeline configuration' },
  init: { progress: 10, message: 'Initializing video generation pipeline' },
  planning: { progress: 20, message: 'Enhancing and segmenting prompt' },
  keyframes: { progress: 30 },
  segments: { progress: 50 },
  stitching: { progress: 80, message: 'Stitching video segments together' },
  uploading: { progress: 90 },
  uploaded: { progress: 95 },
  done: { progress: 100 },
} as const;

/** Progress inside the segment stage: 50 → 80 as clips complete. */
export function segmentProgress(completedFraction: number): number {
  const clamped = Math.min(1, Math.max(0, completedFraction));
  return Math.floor(
    MILESTONES.segments.progress + (MILESTONES.stitching.progress - MILESTONES.segments.progress) * clamped,
  );
}
