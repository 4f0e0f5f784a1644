// What `ttv config check`, `ttv serve` and `ttv worker` find in a configuration before any job runs:
// a text-only model in chaining mode, a DALL·E model in keyframe mode, an image_size the model does
// not render (errors), and vendors' polling floors above remote_api_settings.polling_interval (warnings).
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { pipelineConfigIssues } from '../../../src/pipeline/config-problems.js';
import { modeProblem } from '../../../src/pipeline/modes/mode-problems.js';

const check = (raw: Record<string, unknown>) => pipelineConfigIssues(configSchema.parse(raw));
const fal = (model: string) => ({
  default_backend: 'fal',
  fal: { api_key: 'fal-key-0123456789', model },
  segment_duration_seconds: 8,
});
const minimax = (model: string) => ({
  default_backend: 'minimax',
  minimax: { api_key: 'mm-key-0123456789', model },
  segment_duration_seconds: 6,
});

describe('generation_mode against the default backend', () => {
  it('refuses chaining on a text-only model, naming the model and the fix', () => {
    for (const [raw, model] of [
      [fal('fal-ai/veo3'), 'fal.model fal-ai/veo3'],
      [minimax('T2V-01'), 'minimax.model T2V-01'],
    ] as const) {
      const { errors } = check({ ...raw, generation_mode: 'chaining' });
      expect(errors).toHaveLength(1);
      expect(errors[0]!.key).toBe('generation_mode');
      expect(errors[0]!.message).toContain(`(${model}) renders from text only`);
      expect(errors[0]!.message).toMatch(
        /segment 1 would be paid for and segment 2 could not be made: choose a model that also takes a first frame/,
      );
    }
  });

  it('accepts it when every plan is one segment (the offline planner capped at one), and accepts models that take a frame', () => {
    expect(check({ ...fal('fal-ai/veo3'), procedural: { max_segments: 1 } }).errors).toEqual([]);
    // With an OpenAI planner the segment count is not capped.
    expect(
      check({
        ...fal('fal-ai/veo3'),
        procedural: { max_segments: 1 },
        prompt_enhancement_model: 'gpt-4o-mini',
        openai_api_key: 'sk-0123456789',
      }).errors,
    ).toHaveLength(1);
    expect(check({ ...fal('fal-ai/veo3/image-to-video') }).errors).toEqual([]);
    expect(check(minimax('MiniMax-Hailuo-02')).errors).toEqual([]);
  });

  it('refuses keyframe mode on a text-only model too', () => {
    const { errors } = check({ ...minimax('T2V-01'), generation_mode: 'keyframe' });
    expect(errors).toEqual([
      {
        key: 'generation_mode',
        message: expect.stringMatching(
          /^generation_mode keyframe needs a backend that takes frames; minimax \(minimax\.model T2V-01\) does not/,
        ),
      },
    ]);
  });

  it('modeProblem: chaining runs a one-segment plan from text, not two', () => {
    const textOnly = { textToVideo: true, imageToVideo: false, firstLastFrame: false };
    expect(modeProblem('chaining', 'x', textOnly, 1)).toBeNull();
    expect(modeProblem('chaining', 'x', textOnly, 2)).toMatch(/renders from text only/);
    expect(modeProblem('chaining', 'x', textOnly, null)).toMatch(/renders from text only/);
    expect(modeProblem('chaining', 'x', { ...textOnly, imageToVideo: true }, 5)).toBeNull();
  });
});

describe('image provider against the mode', () => {
  const dalle = (model: string, mode: string) => ({
    image_generation_model: model,
    openai_api_key: 'sk-0123456789',
    generation_mode: mode,
  });

  it('refuses a DALL·E model in keyframe mode (no edit continues a keyframe), and accepts it in chaining mode', () => {
    for (const model of ['dall-e-3', 'dall-e-2']) {
      const { errors } = check(dalle(model, 'keyframe'));
      expect(errors).toEqual([
        {
          key: 'image_generation_model',
          message: expect.stringMatching(
            new RegExp(
              `^${model} cannot continue a keyframe from the previous one .*use gpt-image-1 .*or generation_mode chaining`,
            ),
          ),
        },
      ]);
      expect(check(dalle(model, 'chaining')).errors).toEqual([]);
    }
    expect(check(dalle('gpt-image-1', 'keyframe')).errors).toEqual([]);
    // Without a key the offline provider draws the frames (silent-fallbacks warns): nothing to refuse.
    expect(check({ image_generation_model: 'dall-e-3', generation_mode: 'keyframe' }).errors).toEqual([]);
  });

  it('refuses an image_size the OpenAI model does not render', () => {
    expect(check({ ...dalle('dall-e-3', 'chaining'), image_size: '1536x1024' }).errors).toEqual([
      {
        key: 'image_size',
        message: expect.stringMatching(
          /^1536x1024 is not a size this model renders \(1024x1024, 1792x1024, 1024x1792\) \(dall-e-3\)/,
        ),
      },
    ]);
    expect(check({ ...dalle('gpt-image-1', 'chaining'), image_size: '1024x1536' }).errors).toEqual([]);
  });
});

describe('polling floors', () => {
  const runway = { default_backend: 'runway', runway_ml: { api_key: 'rw-key-0123456789' } };

  it('warns, per backend of the chain, where a vendor floor raises polling_interval', () => {
    const { errors, warnings } = check({
      ...runway,
      ...{ fal: { api_key: 'fal-key-0123456789' } },
      segment_duration_seconds: 6,
      remote_api_settings: { polling_interval: 2, fallback_backend: 'fal' },
    });
    expect(errors).toEqual([]);
    const floors = warnings.filter((w) => w.includes('polling floor'));
    // Runway's 5 s floor raises 2 s; fal's 0.5 s does not.
    expect(floors).toEqual([
      expect.stringMatching(
        /^remote_api_settings\.polling_interval 2 s is below runway's polling floor: runway polls every 5 s \(@runwayml\/sdk 4\.20\.1 Tasks\.retrieve/,
      ),
    ]);
  });

  it('says nothing at the default interval, or with the floors lifted', () => {
    expect(check(runway).warnings.filter((w) => w.includes('polling floor'))).toEqual([]);
    expect(
      check({
        ...runway,
        remote_api_settings: { polling_interval: 0.1, polling_interval_floor_override: true },
      }).warnings.filter((w) => w.includes('polling floor')),
    ).toEqual([]);
  });
});
