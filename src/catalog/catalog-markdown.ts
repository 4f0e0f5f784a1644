// The README's per-model backend table, printed from the model catalog so the two never disagree
// (scripts/backend-models-table.mjs prints it; a test checks the README holds it).
import type { CatalogRow } from '../config/catalog-row-schema.js';
import { durationText } from './model-rules.js';
import { MODEL_CONFIG_KEYS, orderedRows } from './catalog-listing.js';
import type { ModelCatalog } from './model-catalog.js';

function ratios(value: CatalogRow['modes']['text'] | CatalogRow['modes']['image']): string {
  if (value === null) return '—';
  if (value === 'follows-image') return "the frame's";
  return Object.keys(value).join(', ');
}

/** "ga", "retired 2026-06-30 → veo-3.1-generate-001", with the note in parentheses. */
export function lifecycleText(row: CatalogRow): string {
  const l = row.lifecycle;
  const parts = [l.status, l.shutdown ?? '', l.replacement ? `→ \`${l.replacement}\`` : ''].filter(Boolean).join(' ');
  return l.note ? `${parts} (${l.note})` : parts;
}

const cell = (text: string) => text.replace(/\|/g, '\\|');

export function backendModelsMarkdown(catalog: ModelCatalog): string {
  const lines = [
    '| backend (key) | model | lifecycle | text → video | image → video | first + last frame | durations (s) | audio | USD / s | source read |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const m of orderedRows(catalog)) {
    const key = MODEL_CONFIG_KEYS[m.backend];
    lines.push(
      `| \`${m.backend}\`${key ? ` (\`${key}\`)` : ''} | \`${m.id}\` | ${cell(lifecycleText(m))} | ${ratios(m.modes.text)} | ${ratios(m.modes.image)} | ${m.modes.first_last ? 'yes' : 'no'} | ${durationText(m.durations)} | ${m.audio} | ${m.usd_per_second.toFixed(3)} | ${m.source.read} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
