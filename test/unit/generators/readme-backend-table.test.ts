// The README's per-model backend table is the one the capability tables print, and the script
// that prints it (scripts/backend-models-table.mjs, reading the build) prints the same.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { backendModelsMarkdown } from '../../../src/generators/capabilities/capability-markdown.js';
import { BACKEND_MODELS } from '../../../src/generators/capabilities/capability-markdown.js';

const readmeTable = () => {
  const readme = readFileSync('README.md', 'utf8');
  const match = /<!-- backend-models:start -->\n([\s\S]*?)<!-- backend-models:end -->/.exec(readme);
  if (!match) throw new Error('README has no backend-models markers');
  return match[1];
};

describe('README backend table', () => {
  it('matches the capability tables, one row per model', () => {
    expect(readmeTable()).toBe(backendModelsMarkdown());
    const rows = readmeTable()!.trim().split('\n').slice(2);
    expect(rows).toHaveLength(BACKEND_MODELS.reduce((n, b) => n + b.models.length, 0));
  });

  it('is what scripts/backend-models-table.mjs prints', () => {
    expect(execFileSync(process.execPath, ['scripts/backend-models-table.mjs'], { encoding: 'utf8' })).toBe(readmeTable());
  });
});
