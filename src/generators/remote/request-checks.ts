// Checks every remote backend makes the same way: its key is configured, and a segment fits the
// backend's prompt, duration and aspect-ratio limits (validate, before any paid call).
import { GenerationError } from '../../errors/generation-error.js';
import type { GenerateRequest, GeneratorCapabilities } from '../types.js';

/** The configured key, or a config error naming where it belongs. */
export function requireKey(backend: string, configKey: string, value: string | undefined): string {
  if (!value) throw new GenerationError(backend, 'config', `${configKey} is required for the ${backend} backend`);
  return value;
}

/** Prompt, duration and aspect-ratio problems against the capabilities; `durationKey` names the limit's config key. */
export function requestProblems(request: Omit<GenerateRequest, 'outputPath'>, caps: GeneratorCapabilities, durationKey: string): string[] {
  const problems: string[] = [];
  if (!request.prompt.trim()) problems.push('prompt is empty');
  if (request.prompt.length > caps.maxPromptLength) problems.push(`prompt is longer than ${caps.maxPromptLength} characters`);
  if (request.durationSeconds < caps.minDurationSeconds || request.durationSeconds > caps.maxDurationSeconds) {
    problems.push(`duration ${request.durationSeconds} s is outside ${caps.minDurationSeconds}–${caps.maxDurationSeconds} s (${durationKey})`);
  }
  if (request.aspectRatio && caps.aspectRatios && !caps.aspectRatios.includes(request.aspectRatio)) {
    problems.push(`aspect ratio ${request.aspectRatio} is not one of ${caps.aspectRatios.join(', ')}`);
  }
  return problems;
}
