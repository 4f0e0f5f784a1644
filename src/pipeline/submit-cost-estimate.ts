// The cost shown at submit time, before the planner has run: the default backend's price for the
// number of segments the prompt is likely to become (one per sentence, at most procedural.max_segments,
// as the offline planner groups them). The worker replaces it with the planned figure after planning.
import type { AppConfig } from '../config/schema.js';
import { createVideoGenerator } from '../generators/registry.js';
import { splitSentences } from '../images/procedural/procedural-planner.js';

export function submitCostEstimator(config: AppConfig): (prompt: string) => number | null {
  let perSegment: number;
  try {
    perSegment = createVideoGenerator(config.default_backend, config).estimateCost(config.segment_duration_seconds);
  } catch {
    return () => null; // the backend cannot even be built here (the startup check reports why)
  }
  return (prompt) => Math.max(1, Math.min(splitSentences(prompt).length, config.procedural.max_segments)) * perSegment;
}
