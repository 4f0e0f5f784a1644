// Python keys ttv accepts but ignores: each one loads, warns by name, and is listed in the docs.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { ACCEPTED_LEGACY_KEYS } from '../../../src/config/schema.js';

describe('accepted-and-ignored Python keys', () => {
  it.each([...ACCEPTED_LEGACY_KEYS])('%s loads with a warning naming it, and docs/configuration.md lists it', async (key) => {
    const dir = await mkdtemp(join(tmpdir(), 'ttv-legacy-'));
    try {
      const file = join(dir, 'pipeline_config.yaml');
      await writeFile(file, `${key}: "x"\n`);
      const { warnings } = loadConfig({ files: [file], env: {} });
      expect(warnings).toContain(`key "${key}" is accepted for compatibility but not used by ttv`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const docs = await readFile('docs/configuration.md', 'utf8');
    const section = docs.slice(docs.indexOf('Accepted and ignored'), docs.indexOf('**Relative paths**'));
    expect(section).toContain(`\`${key}\``);
  });
});
