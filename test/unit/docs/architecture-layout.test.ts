// The Layout section of docs/architecture.md is what scripts/layout.mjs prints from the tree: every
// folder has its line, and a folder that is added, renamed or removed fails here until the page follows.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('docs/architecture.md Layout', () => {
  it('is the block scripts/layout.mjs prints (node scripts/layout.mjs --write updates it)', () => {
    const match = /<!-- layout:start -->\n([\s\S]*?)<!-- layout:end -->/.exec(
      readFileSync('docs/architecture.md', 'utf8'),
    );
    expect(match, 'docs/architecture.md has layout markers').not.toBeNull();
    expect(execFileSync(process.execPath, ['scripts/layout.mjs'], { encoding: 'utf8' })).toBe(match![1]);
  });
});
