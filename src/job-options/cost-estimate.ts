// The cost shown at submit time, before the planner has run: the job's backend's price for the number
// of segments the prompt is likely to become (one per sentence, at most procedural.max_segments, as
// the offline planner groups them, or exactly the count the job's duration asks for). The worker
// replaces it with the planned figure after planning.
import type { AppConfig } from '../config/schema.js';
import type { JobRequest } from '../jobs/job.js';
import { segmentPlanOf } from '../jobs/stored-job-options.js';
import { applyJobOverrides } from './config-overrides.js';
import { createVideoGenerator } from '../generators/registry.js';
import { splitSentences } from '../planning/procedural-planner.js';

export function submitCostEstimator(config: AppConfig): (request: JobRequest) => number | null {
  const perSegmentFor = (effective: AppConfig): number | null => {
    try {
      return createVideoGenerator(effective.default_backend, effective).estimateCost(
        effective.segment_duration_seconds,
      );
    } catch {
      return null; // the backend cannot even be built here (the startup check reports why)
    }
  };
  const defaultPerSegment = perSegmentFor(config);
  return (request) => {
    const options = request.options;
    const effective = options ? applyJobOverrides(config, request) : config;
    const perSegment = options ? perSegmentFor(effective) : defaultPerSegment;
    if (perSegment === null) return null;
    const count =
      segmentPlanOf(options, config.segment_duration_seconds).segmentCount ??
      Math.max(1, Math.min(splitSentences(request.prompt).length, config.procedural.max_segments));
    return count * perSegment;
  };
}
