// The video models the fake Gemini API serves through the Interactions API, and those it has shut
// down: the shipped catalog's gemini-interactions rows (src/catalog/vendors/gemini-api.json, whose
// sources are @google/genai 2.32.0's interactions types, Google's changelog and the notices in
// ../shared/reference/vendors-2026-12.md). A retired row is a model Google no longer serves.
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { allowedDurations } from '../../../src/catalog/model-rules.js';
import type { InteractionsModelState } from './interactions-api.js';

/** What the fake Gemini API does with an interactions model id (undefined: it does not know it). */
export function geminiInteractionsModel(id: string): InteractionsModelState | undefined {
  const row = shippedCatalog()
    .all()
    .find((r) => r.protocol === 'gemini-interactions' && r.id === id);
  if (!row) return undefined;
  if (row.lifecycle.status === 'retired') return { retired: row.lifecycle.shutdown ?? 'unknown' };
  return {
    served: {
      id: row.id,
      durations: allowedDurations(row.durations),
      aspectRatios: [
        ...new Set([
          ...Object.keys(row.modes.text ?? {}),
          ...Object.keys(row.modes.image === 'follows-image' ? {} : (row.modes.image ?? {})),
        ]),
      ],
      resolutions: row.resolutions ?? [],
    },
  };
}
