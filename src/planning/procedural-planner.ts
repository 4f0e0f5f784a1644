// The offline planner: splits the prompt into sentences and groups them evenly into at most
// `max_segments` segments. Deterministic, so the same prompt always gives the same plan.
import { throwIfAborted } from '../errors/canceled-error.js';
import { countNoun } from '../text/count-noun.js';
import type { Plan, Planner, PlanRequest } from './types.js';

export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => /[\p{L}\p{N}]/u.test(s));
}

export class ProceduralPlanner implements Planner {
  readonly id = 'procedural';

  constructor(private readonly maxSegments: number) {}

  async plan(request: PlanRequest, options?: { signal: AbortSignal }): Promise<Plan> {
    throwIfAborted(options?.signal);
    const sentences = splitSentences(request.prompt);
    const units = sentences.length > 0 ? sentences : [request.prompt.trim()];
    const count = Math.min(units.length, this.maxSegments);
    const segments = [];
    for (let i = 0; i < count; i += 1) {
      const from = Math.floor((i * units.length) / count);
      const to = Math.floor(((i + 1) * units.length) / count);
      const text = units.slice(from, to).join(' ').slice(0, request.maxPromptLength);
      segments.push({
        segment: i + 1,
        videoPrompt: text,
        keyframePrompt: `Last frame of segment ${i + 1}: ${text}`.slice(0, request.maxPromptLength),
      });
    }
    return {
      reasoning: `${countNoun(units.length, 'sentence')} grouped into ${countNoun(count, 'segment')} of ${request.segmentDurationSeconds} s (at most ${this.maxSegments})`,
      segments,
    };
  }
}
