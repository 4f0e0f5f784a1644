// fal.ai endpoints ttv can drive, from @fal-ai/client 1.10.1 (src/types/endpoints.d.ts, the
// EndpointTypeMap input types). Each row says how the endpoint types `duration` and where the
// frames go, because these differ per endpoint ("6" for Hailuo-02, "8s" for Veo 3, "5" for Kling).
// Prices: fal's model pages, USD per second.
import type { ModelCapabilities } from './model-capabilities.js';

export interface FalModel extends ModelCapabilities {
  /** How the endpoint types duration: the string enum "6", the suffixed "8s", or a number. */
  durationFormat: 'string' | 'seconds-suffix' | 'number';
  /** Input field of the first frame, and of the last frame where the endpoint has one. */
  imageField?: string;
  lastFrameField?: string;
  /** Input field of the aspect ratio, where the endpoint has one. */
  ratioField?: string;
  /** Input field that switches audio, where the endpoint has one. */
  audioField?: string;
}

const VEO_RATIOS = { '16:9': '16:9', '9:16': '9:16' };

export const FAL_MODELS: FalModel[] = [
  {
    // StandardImageToVideoHailuo02Input: duration?: "6" | "10"; image_url; end_image_url.
    id: 'fal-ai/minimax/hailuo-02/standard/image-to-video', text: null, image: 'follows-image', firstLast: true,
    durations: { seconds: [6, 10] }, durationField: true, durationFormat: 'string', imageField: 'image_url', lastFrameField: 'end_image_url',
    audio: 'none', usdPerSecond: 0.045, maxPromptLength: 2000, source: '@fal-ai/client 1.10.1 StandardImageToVideoHailuo02Input',
  },
  {
    // StandardTextToVideoHailuo02Input: duration?: "6" | "10"; no aspect field (768p landscape).
    id: 'fal-ai/minimax/hailuo-02/standard/text-to-video', text: { '16:9': '' }, image: null, firstLast: false,
    durations: { seconds: [6, 10] }, durationField: true, durationFormat: 'string',
    audio: 'none', usdPerSecond: 0.045, maxPromptLength: 2000, source: '@fal-ai/client 1.10.1 StandardTextToVideoHailuo02Input',
  },
  {
    // veo3Input: duration?: "4s" | "6s" | "8s"; aspect_ratio?: "16:9" | "9:16"; generate_audio?.
    id: 'fal-ai/veo3', text: VEO_RATIOS, image: null, firstLast: false,
    durations: { seconds: [4, 6, 8] }, durationField: true, durationFormat: 'seconds-suffix', ratioField: 'aspect_ratio', audioField: 'generate_audio',
    audio: 'optional', usdPerSecond: 0.4, maxPromptLength: 2000, source: '@fal-ai/client 1.10.1 veo3Input',
  },
  {
    // Veo3ImageToVideoInput: duration?: "4s" | "6s" | "8s"; aspect_ratio?: "auto" | "16:9" | "9:16"; image_url.
    id: 'fal-ai/veo3/image-to-video', text: null, image: VEO_RATIOS, firstLast: false,
    durations: { seconds: [4, 6, 8] }, durationField: true, durationFormat: 'seconds-suffix', imageField: 'image_url', ratioField: 'aspect_ratio', audioField: 'generate_audio',
    audio: 'optional', usdPerSecond: 0.4, maxPromptLength: 2000, source: '@fal-ai/client 1.10.1 Veo3ImageToVideoInput',
  },
  {
    // KlingVideoV2MasterImageToVideoInput (v2.1 standard uses it): duration?: "5" | "10"; image_url.
    id: 'fal-ai/kling-video/v2.1/standard/image-to-video', text: null, image: 'follows-image', firstLast: false,
    durations: { seconds: [5, 10] }, durationField: true, durationFormat: 'string', imageField: 'image_url',
    audio: 'none', usdPerSecond: 0.05, maxPromptLength: 2500, source: '@fal-ai/client 1.10.1 KlingVideoV2MasterImageToVideoInput',
  },
];

export function falModel(id: string): FalModel | undefined {
  return FAL_MODELS.find((m) => m.id === id.replace(/^\/+|\/+$/g, ''));
}

/** The duration as the endpoint types it. */
export function falDuration(model: FalModel, seconds: number): string | number {
  if (model.durationFormat === 'seconds-suffix') return `${seconds}s`;
  if (model.durationFormat === 'string') return String(seconds);
  return seconds;
}
