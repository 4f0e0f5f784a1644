// The README's per-model backend table, printed from the capability tables so the two never
// disagree (scripts/backend-models-table.mjs prints it; a test checks the README holds it).
import { durationText, type ModelCapabilities } from './model-capabilities.js';
import { RUNWAY_MODELS } from './runway-models.js';
import { FAL_MODELS } from './fal-models.js';
import { VEO_MODELS } from './veo-models.js';
import { MINIMAX_MODELS } from './minimax-models.js';

export const BACKEND_MODELS: { backend: string; key: string; models: ModelCapabilities[] }[] = [
  { backend: 'runway', key: 'runway_ml.model_version', models: RUNWAY_MODELS },
  { backend: 'veo3', key: 'google_veo.veo_model', models: VEO_MODELS },
  { backend: 'fal', key: 'fal.model', models: FAL_MODELS },
  { backend: 'minimax', key: 'minimax.model', models: MINIMAX_MODELS },
];

function ratios(value: ModelCapabilities['text'] | ModelCapabilities['image']): string {
  if (value === null) return '—';
  if (value === 'follows-image') return 'the frame\'s';
  return Object.keys(value).join(', ');
}

export function backendModelsMarkdown(): string {
  const lines = [
    '| backend (key) | model | text → video | image → video | first + last frame | durations (s) | audio | USD / s |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const { backend, key, models } of BACKEND_MODELS) {
    for (const m of models) {
      lines.push(`| \`${backend}\` (\`${key}\`) | \`${m.id}\` | ${ratios(m.text)} | ${ratios(m.image)} | ${m.firstLast ? 'yes' : 'no'} | ${durationText(m.durations)} | ${m.audio} | ${m.usdPerSecond.toFixed(3)} |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
