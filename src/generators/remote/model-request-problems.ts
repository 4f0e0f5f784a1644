// The per-model check every remote backend runs in validate() and again right before its paid call:
// prompt, frames, duration and aspect ratio against the model's catalog row.
import { existsSync } from 'node:fs';
import type { GenerateRequest, GeneratorCapabilities } from '../types.js';
import type { CatalogRow } from '../../config/catalog-row-schema.js';
import { allowedDurations, anyModeAspects, durationProblem, ratioProblem } from '../../catalog/model-rules.js';

export interface ModelCheckOptions {
  /** The operator's own cap on clip length, and its key (runway_ml.max_duration, …). */
  maxDuration?: { seconds: number; key: string };
}

export function modelRequestProblems(
  request: Omit<GenerateRequest, 'outputPath'>,
  model: CatalogRow,
  options: ModelCheckOptions = {},
): string[] {
  const problems: string[] = [];
  if (!request.prompt.trim()) problems.push('prompt is empty');
  if (request.prompt.length > model.max_prompt_length)
    problems.push(`prompt is longer than ${model.max_prompt_length} characters`);
  if (request.firstFrame && !existsSync(request.firstFrame)) problems.push('first frame image does not exist');
  if (request.lastFrame && !existsSync(request.lastFrame)) problems.push('last frame image does not exist');
  const duration = durationProblem(model, request.durationSeconds);
  if (duration) problems.push(duration);
  const cap = options.maxDuration;
  if (cap && request.durationSeconds > cap.seconds)
    problems.push(`duration ${request.durationSeconds} s is more than ${cap.key} (${cap.seconds} s)`);
  // With a first frame the clip is image-to-video; without one (validate runs before keyframes
  // exist) the job may use either mode the model has, so the ratio must fit each of them.
  const modes: ('text' | 'image')[] = request.firstFrame
    ? ['image']
    : [...(model.modes.text ? ['text' as const] : []), ...(model.modes.image ? ['image' as const] : [])];
  for (const mode of modes) {
    const problem = ratioProblem(model, mode, request.aspectRatio);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** The pipeline's summary of a model row, capped by the operator's max_duration. */
export function summarize(model: CatalogRow, maxDurationSeconds = Infinity): GeneratorCapabilities {
  const durations = allowedDurations(model.durations).filter((d) => d <= maxDurationSeconds);
  const all = allowedDurations(model.durations);
  return {
    minDurationSeconds: durations[0] ?? all[0]!,
    maxDurationSeconds: durations[durations.length - 1] ?? all[0]!,
    durations: durations.length ? durations : [all[0]!],
    textToVideo: model.modes.text !== null,
    imageToVideo: model.modes.image !== null,
    firstLastFrame: model.modes.first_last,
    maxPromptLength: model.max_prompt_length,
    aspectRatios: anyModeAspects(model),
  };
}
