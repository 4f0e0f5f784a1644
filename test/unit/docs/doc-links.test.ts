// Every relative link in the README and docs/ resolves to a file in the repository, and no doc
// names a ../ path that is not in it (a reader of a clone has nothing outside).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const DOCS = ['README.md', 'RELIABILITY.md', 'bench/RESULTS.md', ...readdirSync('docs').filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** What is wrong with `target` as written in `doc`, or null when it is a file in the repository. */
function unresolved(doc: string, target: string): string | null {
  const path = resolve(dirname(doc), decodeURIComponent(target.split('#')[0]!));
  if (relative(ROOT, path).startsWith('..')) return `${target}: outside the repository`;
  return existsSync(path) ? null : `${target}: not in the repository`;
}

function problemsIn(doc: string, text: string): string[] {
  const problems: string[] = [];
  // [text](target) and ![alt](target); targets with a scheme or only an anchor are not files.
  for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*([^)\s]+)(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    const problem = unresolved(doc, target);
    if (problem) problems.push(problem);
  }
  // ../ paths written out in the text, code spans included (links were checked above).
  for (const m of text.matchAll(/(?<![\w./(-])((?:\.\.\/)+[\w.-][\w./-]*)/g)) {
    const problem = unresolved(doc, m[1]!);
    if (problem) problems.push(problem);
  }
  return problems;
}

describe('doc links', () => {
  for (const doc of DOCS) {
    it(`${doc}: relative links and ../ paths resolve to files in the repository`, () => {
      expect(problemsIn(doc, readFileSync(doc, 'utf8'))).toEqual([]);
    });
  }

  it('the check catches a link, an image and a code span that leave the repository or miss', () => {
    const text = 'Where `../shared/DESIGN.md` left room; see [the notes](../../elsewhere.md), ![frame](missing.png) and [ok](configuration.md#keys), [web](https://example.com/x).';
    expect(problemsIn('docs/design-notes.md', text)).toEqual([
      '../../elsewhere.md: outside the repository',
      'missing.png: not in the repository',
      '../shared/DESIGN.md: not in the repository',
    ]);
  });
});
