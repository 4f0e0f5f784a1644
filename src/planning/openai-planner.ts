// Planner on any OpenAI-compatible chat completions endpoint: structured JSON output in the
// segmentation_logic / keyframe_prompts / video_prompts shape, validated (counts consistent,
// segments numbered 1..N, prompts within the backend's limit) with one corrective retry.
import { PlanningError } from '../errors/planning-error.js';
import { vendorFailureSentence } from '../errors/vendor-failure.js';
import { VendorError } from '../errors/vendor-error.js';
import { VendorClient } from '../http/vendor-client/vendor-client.js';
import type { RetrySettings } from '../http/vendor-client/retry-policy.js';
import type { Plan, Planner, PlanRequest } from './types.js';
import { redactedClip } from '../logging/redact.js';

export interface OpenAiPlannerOptions {
  apiKey: string;
  baseUrl: string;
  model: string;
  /** remote_api_settings' retries (remoteSettings() gives them). */
  retry: RetrySettings;
  log?: (message: string) => void;
}

export const PLAN_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['segmentation_logic', 'keyframe_prompts', 'video_prompts'],
  properties: {
    segmentation_logic: {
      type: 'object',
      additionalProperties: false,
      required: ['total_duration_seconds', 'number_of_segments', 'reasoning'],
      properties: {
        total_duration_seconds: { type: 'integer' },
        number_of_segments: { type: 'integer' },
        reasoning: { type: 'string' },
      },
    },
    keyframe_prompts: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['segment', 'prompt'],
        properties: { segment: { type: 'integer' }, prompt: { type: 'string' } },
      },
    },
    video_prompts: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['segment', 'prompt', 'first_frame', 'last_frame'],
        properties: {
          segment: { type: 'integer' },
          prompt: { type: 'string' },
          first_frame: { type: ['string', 'null'] },
          last_frame: { type: ['string', 'null'] },
        },
      },
    },
  },
} as const;

interface PlanReply {
  segmentation_logic: { total_duration_seconds: number; number_of_segments: number; reasoning: string };
  keyframe_prompts: { segment: number; prompt: string }[];
  video_prompts: { segment: number; prompt: string; first_frame: string | null; last_frame: string | null }[];
}

function instructions(request: PlanRequest): string {
  return [
    'You plan short films for a text-to-video system.',
    `Split the story into consecutive segments of ${request.segmentDurationSeconds} seconds each; decide how many from the pacing of the story.`,
    "For every segment write a keyframe prompt describing, as a still image, the LAST frame of that segment (no camera motion), and a video prompt describing the motion from the segment's first frame to its last.",
    'Repeat full descriptions of recurring characters and places in every prompt, since each prompt is used alone.',
    `Every video prompt must be at most ${request.maxPromptLength} characters.`,
    'Number segments 1, 2, 3, … without gaps; keyframe_prompts and video_prompts must each have exactly number_of_segments entries.',
    'Answer with JSON only, in the given schema.',
  ].join('\n');
}

/** Problems with a planner reply; empty when it can be used. */
export function validatePlanReply(value: unknown, maxPromptLength: number): string[] {
  const problems: string[] = [];
  const reply = value as Partial<PlanReply> | null;
  if (!reply || typeof reply !== 'object') return ['the reply is not a JSON object'];
  const n = reply.segmentation_logic?.number_of_segments;
  if (!Number.isInteger(n) || (n as number) < 1)
    problems.push('segmentation_logic.number_of_segments must be a positive integer');
  for (const key of ['keyframe_prompts', 'video_prompts'] as const) {
    const list = reply[key];
    if (!Array.isArray(list)) {
      problems.push(`${key} is missing`);
      continue;
    }
    if (Number.isInteger(n) && list.length !== n)
      problems.push(`${key} has ${list.length} entries but number_of_segments is ${n}`);
    list.forEach((item, i) => {
      if (item?.segment !== i + 1) problems.push(`${key}[${i}].segment is ${String(item?.segment)}, expected ${i + 1}`);
      if (typeof item?.prompt !== 'string' || !item.prompt.trim()) problems.push(`${key}[${i}].prompt is empty`);
      else if (key === 'video_prompts' && item.prompt.length > maxPromptLength)
        problems.push(
          `video_prompts[${i}].prompt is ${item.prompt.length} characters, over the backend's limit of ${maxPromptLength}`,
        );
    });
  }
  return problems;
}

export class OpenAiPlanner implements Planner {
  readonly id = 'openai';

  private readonly client: VendorClient;

  constructor(private readonly options: OpenAiPlannerOptions) {
    this.client = new VendorClient({
      vendor: 'OpenAI planner',
      baseUrl: options.baseUrl,
      auth: { authorization: `Bearer ${options.apiKey}` },
      retry: options.retry,
    });
  }

  async plan(request: PlanRequest, { signal }: { signal: AbortSignal }): Promise<Plan> {
    const { model } = this.options;
    const messages: { role: string; content: string }[] = [
      { role: 'system', content: instructions(request) },
      { role: 'user', content: request.prompt },
    ];
    let problems: string[] = [];
    for (let round = 1; round <= 2; round += 1) {
      const body: Record<string, unknown> = {
        model,
        messages,
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'PromptEnhancementResult', strict: true, schema: PLAN_SCHEMA },
        },
      };
      // Reasoning models take no sampling parameters.
      if (!/^(o\d|gpt-5)/.test(model)) body.temperature = 0.7;
      let reply: { choices?: { message?: { content?: string | null; refusal?: string | null } }[] };
      try {
        reply = await this.client.json(
          '/chat/completions',
          {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          },
          { signal, log: this.options.log },
        );
      } catch (err) {
        if (err instanceof VendorError) {
          const sentence = vendorFailureSentence(err, 'planning', 'OpenAI', 'the plan');
          throw new PlanningError(`Planning failed: ${err.message}`, {
            cause: err,
            retryable: err.retryable,
            ...(sentence ? { publicMessage: sentence } : {}),
          });
        }
        throw err;
      }
      const message = reply.choices?.[0]?.message;
      if (message?.refusal) {
        throw new PlanningError(`Planning failed: the model refused (${redactedClip(message.refusal, 160)})`, {
          publicMessage: 'The planning vendor (OpenAI) refused to plan the prompt.',
        });
      }
      const content = message?.content ?? '';
      let parsed: unknown;
      try {
        parsed = JSON.parse(content);
        problems = validatePlanReply(parsed, request.maxPromptLength);
      } catch {
        problems = ['the reply is not valid JSON'];
      }
      if (problems.length === 0) {
        const plan = parsed as PlanReply;
        return {
          reasoning: plan.segmentation_logic.reasoning,
          segments: plan.video_prompts.map((v, i) => ({
            segment: v.segment,
            videoPrompt: v.prompt,
            keyframePrompt: plan.keyframe_prompts[i]!.prompt,
          })),
        };
      }
      this.options.log?.(
        `Planner reply rejected (${problems.slice(0, 3).join('; ')})${round === 1 ? '; asking once more' : ''}`,
      );
      messages.push(
        { role: 'assistant', content },
        {
          role: 'user',
          content: `That reply cannot be used: ${problems.join('; ')}. Answer again with corrected JSON in the same schema.`,
        },
      );
    }
    throw new PlanningError(`Planner reply invalid after a corrective retry: ${problems.slice(0, 3).join('; ')}`);
  }
}
