// The video models the fake Gemini API serves through the Interactions API, and those it has shut
// down. Sources: @google/genai 2.32.0 (gemini-omni-1.1-flash and gemini-omni-flash-preview in its
// Model type; VideoResponseFormat aspect ratios 16:9 | 9:16 and resolutions 360p | 720p | 1080p | 4k),
// Google's Gemini API changelog (gemini-omni-flash-preview, 2026-06-30: 3–10 s clips), and the
// third-party notices in ../shared/reference/vendors-2026-12.md (gemini-omni-1.1-flash GA
// 2026-08-27; gemini-omni-flash-preview shut down 2026-09-30).
import type { InteractionsModelState } from './interactions-api.js';

const OMNI = { durations: [3, 4, 5, 6, 7, 8, 9, 10], aspectRatios: ['16:9', '9:16'], resolutions: ['360p', '720p', '1080p', '4k'] };

const MODELS: Record<string, InteractionsModelState> = {
  'gemini-omni-1.1-flash': { served: { id: 'gemini-omni-1.1-flash', ...OMNI } },
  'gemini-omni-flash-preview': { retired: '2026-09-30' },
};

/** What the fake Gemini API does with an interactions model id (undefined: it does not know it). */
export function geminiInteractionsModel(id: string): InteractionsModelState | undefined {
  return MODELS[id];
}
