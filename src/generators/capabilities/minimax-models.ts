// MiniMax video models on MiniMax's own API (platform.minimax.io, "Video Generation" API
// reference): `duration` (6 or 10) and `resolution` are documented for the Hailuo models only; the
// 01-series models render a fixed 6 s clip and take no duration; I2V models follow the first
// frame's shape, T2V models render 1280x720. last_frame_image is documented for Hailuo-02.
// Prices: MiniMax's price list per clip, divided by its length (768P).
import type { ModelCapabilities } from './model-capabilities.js';

const DOC = 'MiniMax API reference, POST /v1/video_generation';

export const MINIMAX_MODELS: ModelCapabilities[] = [
  { id: 'I2V-01-Director', text: null, image: 'follows-image', firstLast: false, durations: { seconds: [6] }, durationField: false, audio: 'none', usdPerSecond: 0.072, maxPromptLength: 2000, source: DOC },
  { id: 'I2V-01', text: null, image: 'follows-image', firstLast: false, durations: { seconds: [6] }, durationField: false, audio: 'none', usdPerSecond: 0.072, maxPromptLength: 2000, source: DOC },
  { id: 'I2V-01-live', text: null, image: 'follows-image', firstLast: false, durations: { seconds: [6] }, durationField: false, audio: 'none', usdPerSecond: 0.072, maxPromptLength: 2000, source: DOC },
  { id: 'T2V-01-Director', text: { '16:9': '' }, image: null, firstLast: false, durations: { seconds: [6] }, durationField: false, audio: 'none', usdPerSecond: 0.072, maxPromptLength: 2000, source: DOC },
  { id: 'T2V-01', text: { '16:9': '' }, image: null, firstLast: false, durations: { seconds: [6] }, durationField: false, audio: 'none', usdPerSecond: 0.072, maxPromptLength: 2000, source: DOC },
  // duration 6 | 10 (10 only at 768P), resolution 768P | 1080P, first_frame_image optional, last_frame_image.
  { id: 'MiniMax-Hailuo-02', text: { '16:9': '' }, image: 'follows-image', firstLast: true, durations: { seconds: [6, 10] }, durationField: true, audio: 'none', usdPerSecond: 0.045, maxPromptLength: 2000, source: DOC },
  { id: 'MiniMax-Hailuo-2.3', text: { '16:9': '' }, image: 'follows-image', firstLast: false, durations: { seconds: [6, 10] }, durationField: true, audio: 'none', usdPerSecond: 0.045, maxPromptLength: 2000, source: DOC },
];

export function minimaxModel(id: string): ModelCapabilities | undefined {
  return MINIMAX_MODELS.find((m) => m.id === id);
}

/** MiniMax documents 10 s clips at 768P only. */
export function minimaxResolutionProblem(model: ModelCapabilities, resolution: string | undefined, seconds: number): string | null {
  if (!resolution) return null;
  if (!model.durationField) return `${model.id} takes no resolution (minimax.resolution)`;
  if (!/^(768P|1080P|512P)$/.test(resolution)) return `minimax.resolution must be 512P, 768P or 1080P, not ${resolution}`;
  if (resolution === '1080P' && seconds === 10) return `${model.id} renders 10 s clips at 768P only (minimax.resolution is 1080P)`;
  return null;
}
