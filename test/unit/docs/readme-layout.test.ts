// The README's Layout section is what scripts/layout.mjs prints from the tree: every folder has
// its line, and a folder that is added, renamed or removed fails here until the README follows.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('README Layout', () => {
  it('is the block scripts/layout.mjs prints (node scripts/layout.mjs --write updates it)', () => {
    const match = /<!-- layout:start -->\n([\s\S]*?)<!-- layout:end -->/.exec(readFileSync('README.md', 'utf8'));
    expect(match, 'README has layout markers').not.toBeNull();
    expect(execFileSync(process.execPath, ['scripts/layout.mjs'], { encoding: 'utf8' })).toBe(match![1]);
  });
});
