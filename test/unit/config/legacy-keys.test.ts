// Python keys ttv accepts but ignores: each one loads, warns by name, and is listed in the docs.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { ACCEPTED_LEGACY_KEYS } from '../../../src/config/schema.js';

describe('accepted-and-ignored Python keys', () => {
  it.each([...ACCEPTED_LEGACY_KEYS])(
    '%s loads with a warning naming it, and docs/configuration.md lists it',
    async (key) => {
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
    },
  );
});

describe('deprecated ttv keys', () => {
  it('server.shutdown_grace_seconds loads with a deprecation warning naming its replacement, is still type-checked, and is documented', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ttv-deprecated-'));
    try {
      const file = join(dir, 'api_config.yaml');
      await writeFile(file, 'server:\n  shutdown_grace_seconds: 5\n');
      const { warnings } = loadConfig({ files: [file], env: {} });
      expect(warnings).toContain(
        'key "server.shutdown_grace_seconds" is deprecated, ignored, and will be removed in the next release; use worker.shutdown_grace_seconds (the time running jobs get on SIGTERM)',
      );
      await writeFile(file, 'server:\n  shutdown_grace_seconds: -1\n');
      expect(() => loadConfig({ files: [file], env: {} })).toThrow(/server\.shutdown_grace_seconds/);
      expect(loadConfig({ files: [], env: {} }).warnings.some((w) => w.includes('deprecated'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const docs = await readFile('docs/configuration.md', 'utf8');
    expect(docs.slice(docs.indexOf('Deprecated ('), docs.indexOf('**Relative paths**'))).toContain(
      '`server.shutdown_grace_seconds`',
    );
  });
});
