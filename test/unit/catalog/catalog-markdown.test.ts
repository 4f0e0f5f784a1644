// The per-model backend table in docs/backends.md is the one the model catalog prints, and the script that
// prints it (scripts/backend-models-table.mjs, reading the build) prints the same.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backendModelsMarkdown } from '../../../src/catalog/catalog-markdown.js';
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';

const pageTable = () => {
  const page = readFileSync('docs/backends.md', 'utf8');
  const match = /<!-- backend-models:start -->\n([\s\S]*?)<!-- backend-models:end -->/.exec(page);
  if (!match) throw new Error('docs/backends.md has no backend-models markers');
  return match[1];
};

describe('docs/backends.md backend table', () => {
  it('matches the catalog, one row per model, with its lifecycle and source date', () => {
    expect(pageTable()).toBe(backendModelsMarkdown(shippedCatalog()));
    const rows = pageTable()!.trim().split('\n').slice(2);
    expect(rows).toHaveLength(shippedCatalog().all().length);
    expect(rows.find((r) => r.includes('`veo-3.0-generate-001`'))).toMatch(
      /\| retired 2026-06-30 → `veo-3\.1-generate-001`( \([^|]*\))? \|.*\| 20\d\d-\d\d-\d\d \|$/,
    );
  });

  it('is what scripts/backend-models-table.mjs prints', () => {
    expect(execFileSync(process.execPath, ['scripts/backend-models-table.mjs'], { encoding: 'utf8' })).toBe(
      pageTable(),
    );
  });
});
