import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_OVERRIDES } from '../../../src/config/env-overrides.js';

describe('docs/configuration.md', () => {
  it('documents every environment variable the loader reads', () => {
    const doc = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
    const missing = ENV_OVERRIDES.filter((row) => !doc.includes(`| \`${row.name}\` | \`${row.path}\` |`)).map(
      (r) => r.name,
    );
    expect(missing).toEqual([]);
  });
});
