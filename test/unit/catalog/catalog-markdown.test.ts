// The README's per-model backend table is the one the model catalog prints, and the script that
// prints it (scripts/backend-models-table.mjs, reading the build) prints the same.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backendModelsMarkdown } from '../../../src/catalog/catalog-markdown.js';
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';

const readmeTable = () => {
  const readme = readFileSync('README.md', 'utf8');
  const match = /<!-- backend-models:start -->\n([\s\S]*?)<!-- backend-models:end -->/.exec(readme);
  if (!match) throw new Error('README has no backend-models markers');
  return match[1];
};

describe('README backend table', () => {
  it('matches the catalog, one row per model, with its lifecycle and source date', () => {
    expect(readmeTable()).toBe(backendModelsMarkdown(shippedCatalog()));
    const rows = readmeTable()!.trim().split('\n').slice(2);
    expect(rows).toHaveLength(shippedCatalog().all().length);
    expect(rows.find((r) => r.includes('`veo-3.0-generate-001`'))).toMatch(/\| retired 2026-06-30 → `veo-3\.1-generate-001`( \([^|]*\))? \|.*\| 20\d\d-\d\d-\d\d \|$/);
  });

  it('is what scripts/backend-models-table.mjs prints', () => {
    expect(execFileSync(process.execPath, ['scripts/backend-models-table.mjs'], { encoding: 'utf8' })).toBe(readmeTable());
  });
});
