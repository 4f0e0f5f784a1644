// Google Veo models, on Vertex AI and the Gemini API, from @google/genai 2.32.0
// (GenerateVideosConfig: durationSeconds, aspectRatio, lastFrame, generateAudio; its Gemini-API
// converter generateVideosConfigToMldev throws on generateAudio, so audio is a Vertex-only
// parameter) and Google's Veo model pages (durations 4, 6, 8 s for Veo 3 / 3.1; 16:9 and 9:16;
// lastFrame on Veo 3.1 only). Prices: Google's list price per second with audio.
import type { ModelCapabilities } from './model-capabilities.js';

const RATIOS = { '16:9': '16:9', '9:16': '9:16' };
const SOURCE = '@google/genai 2.32.0 GenerateVideosConfig; Veo model docs (durations 4/6/8, 16:9 | 9:16)';

export const VEO_MODELS: ModelCapabilities[] = [
  {
    id: 'veo-3.0-generate-001', text: RATIOS, image: RATIOS, firstLast: false,
    durations: { seconds: [4, 6, 8] }, durationField: true, audio: 'optional', usdPerSecond: 0.4, maxPromptLength: 1024, source: SOURCE,
  },
  {
    id: 'veo-3.0-fast-generate-001', text: RATIOS, image: RATIOS, firstLast: false,
    durations: { seconds: [4, 6, 8] }, durationField: true, audio: 'optional', usdPerSecond: 0.15, maxPromptLength: 1024, source: SOURCE,
  },
  {
    // GenerateVideosConfig.lastFrame: Veo 3.1 interpolates between a first and a last frame.
    id: 'veo-3.1-generate-preview', text: RATIOS, image: RATIOS, firstLast: true,
    durations: { seconds: [4, 6, 8] }, durationField: true, audio: 'optional', usdPerSecond: 0.4, maxPromptLength: 1024, source: SOURCE,
  },
  {
    id: 'veo-3.1-fast-generate-preview', text: RATIOS, image: RATIOS, firstLast: true,
    durations: { seconds: [4, 6, 8] }, durationField: true, audio: 'optional', usdPerSecond: 0.15, maxPromptLength: 1024, source: SOURCE,
  },
];

export function veoModel(id: string): ModelCapabilities | undefined {
  return VEO_MODELS.find((m) => m.id === id);
}
