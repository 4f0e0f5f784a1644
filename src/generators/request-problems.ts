// What every backend checks of a segment the same way (validate, before any paid call): the prompt,
// the duration, the frames named, the aspect ratio, against the backend's capabilities.
import { existsSync } from 'node:fs';
import type { GenerateRequest, GeneratorCapabilities } from './types.js';

/** Problems of `request` for a backend with `caps`; `durationKey` names the config key of the limit, if any. */
export function requestProblems(
  request: Omit<GenerateRequest, 'outputPath'>,
  caps: GeneratorCapabilities,
  durationKey?: string,
): string[] {
  const problems: string[] = [];
  if (!request.prompt.trim()) problems.push('prompt is empty');
  if (request.prompt.length > caps.maxPromptLength)
    problems.push(`prompt is longer than ${caps.maxPromptLength} characters`);
  // Written so that NaN fails too.
  if (!(request.durationSeconds >= caps.minDurationSeconds && request.durationSeconds <= caps.maxDurationSeconds)) {
    problems.push(
      `duration ${request.durationSeconds} s is outside ${caps.minDurationSeconds}..${caps.maxDurationSeconds} s${durationKey ? ` (${durationKey})` : ''}`,
    );
  }
  if (request.firstFrame && !existsSync(request.firstFrame)) problems.push('first frame image does not exist');
  if (request.lastFrame && !existsSync(request.lastFrame)) problems.push('last frame image does not exist');
  if (request.aspectRatio && caps.aspectRatios && !caps.aspectRatios.includes(request.aspectRatio)) {
    problems.push(`aspect ratio ${request.aspectRatio} is not one of ${caps.aspectRatios.join(', ')}`);
  }
  return problems;
}
