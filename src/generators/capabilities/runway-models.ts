// Runway models ttv can drive, from @runwayml/sdk 4.20.1 (src/resources/image-to-video.ts and
// text-to-video.ts, the ImageToVideoCreateParams / TextToVideoCreateParams unions). A model missing
// from a union has no such mode: gen4_turbo is image-only; gen3a_turbo and veo3 are in neither
// union any more, so they are not offered. Prices: Runway's API price list, credits at $0.01.
import type { ModelCapabilities, RatioMap } from './model-capabilities.js';

/** The six Gen-4 ratios: `ratio: '1280:720' | '720:1280' | '1104:832' | '832:1104' | '960:960' | '1584:672'`. */
const GEN4_RATIOS: RatioMap = { '16:9': '1280:720', '9:16': '720:1280', '4:3': '1104:832', '3:4': '832:1104', '1:1': '960:960', '21:9': '1584:672' };
/** Veo 3.1 on Runway: `ratio: '1280:720' | '720:1280' | '1080:1920' | '1920:1080'` (720p chosen per aspect). */
const VEO31_RATIOS: RatioMap = { '16:9': '1280:720', '9:16': '720:1280' };

export const RUNWAY_MODELS: ModelCapabilities[] = [
  {
    // ImageToVideoCreateParams.Gen4Turbo: promptImage position 'first' only, `duration?: number`
    // (Runway docs: 2–10 s); not in TextToVideoCreateParams.
    id: 'gen4_turbo', text: null, image: GEN4_RATIOS, firstLast: false,
    durations: { min: 2, max: 10 }, durationField: true, audio: 'none', usdPerSecond: 0.05, maxPromptLength: 1000,
    source: '@runwayml/sdk 4.20.1 ImageToVideoCreateParams.Gen4Turbo',
  },
  {
    // TextToVideoCreateParams.Gen4_5: `ratio: '1280:720' | '720:1280'`, `duration` "an integer from
    // 2 to 10"; ImageToVideoCreateParams.Gen4_5: the six Gen-4 ratios, position 'first' only.
    id: 'gen4.5', text: { '16:9': '1280:720', '9:16': '720:1280' }, image: GEN4_RATIOS, firstLast: false,
    durations: { min: 2, max: 10 }, durationField: true, audio: 'none', usdPerSecond: 0.12, maxPromptLength: 1000,
    source: '@runwayml/sdk 4.20.1 TextToVideoCreateParams.Gen4_5, ImageToVideoCreateParams.Gen4_5',
  },
  {
    // Veo3_1 in both unions: `duration?: 4 | 6 | 8`, `audio?: boolean`, promptImage position
    // 'first' | 'last'.
    id: 'veo3.1', text: VEO31_RATIOS, image: VEO31_RATIOS, extraWireRatios: ['1080:1920', '1920:1080'], firstLast: true,
    durations: { seconds: [4, 6, 8] }, durationField: true, audio: 'optional', usdPerSecond: 0.4, maxPromptLength: 1000,
    source: '@runwayml/sdk 4.20.1 TextToVideoCreateParams.Veo3_1, ImageToVideoCreateParams.Veo3_1',
  },
  {
    id: 'veo3.1_fast', text: VEO31_RATIOS, image: VEO31_RATIOS, extraWireRatios: ['1080:1920', '1920:1080'], firstLast: true,
    durations: { seconds: [4, 6, 8] }, durationField: true, audio: 'optional', usdPerSecond: 0.15, maxPromptLength: 1000,
    source: '@runwayml/sdk 4.20.1 TextToVideoCreateParams.Veo3_1Fast, ImageToVideoCreateParams.Veo3_1Fast',
  },
];

export function runwayModel(id: string): ModelCapabilities | undefined {
  return RUNWAY_MODELS.find((m) => m.id === id);
}
