// Every relative link in the README and docs/ resolves to a file in the repository, and a link's
// #anchor into a markdown file (or within the page) to one of its headings as GitHub names them; no
// doc names a ../ path that is not in it (a reader of a clone has nothing outside). The README stays
// a front door: at most 15 KB, the manual lives in docs/.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const DOCS = [
  'README.md',
  'RELIABILITY.md',
  'bench/RESULTS.md',
  ...readdirSync('docs')
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const README_MAX_BYTES = 15 * 1024;

/**
 * GitHub's anchor for a heading (github-slugger on the heading's rendered text): lower case, every
 * character that is not a letter, mark, digit, connector (`_`), hyphen or space dropped, spaces to
 * hyphens. Markdown is reduced to its text first: code spans keep their content, links their text.
 */
function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`/g, '');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors a markdown text defines: its headings outside code fences (a repeated one gets -1, -2 …, as on GitHub) and <a id|name> tags. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | null = null;
  for (const line of text.split('\n')) {
    const f = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (f) {
      if (fence === null) fence = f[1]!;
      else if (f[1]!.startsWith(fence)) fence = null;
      continue;
    }
    if (fence !== null) continue;
    const h = /^ {0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/.exec(line);
    if (h) {
      const base = slug(h[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s[^>]*\b(?:id|name)="([^"]+)"/g)) anchors.add(a[1]!);
  }
  return anchors;
}

const anchorCache = new Map<string, Set<string>>();
function anchorsOfFile(path: string): Set<string> {
  let anchors = anchorCache.get(path);
  if (!anchors) anchorCache.set(path, (anchors = anchorsOf(readFileSync(path, 'utf8'))));
  return anchors;
}

/** What is wrong with `target` as written in `doc`, or null when it is a file in the repository (and the anchor one of its headings). */
function unresolved(doc: string, target: string): string | null {
  const [file, anchor] = target.split('#') as [string, string | undefined];
  const path = resolve(dirname(doc), decodeURIComponent(file));
  if (relative(ROOT, path).startsWith('..')) return `${target}: outside the repository`;
  if (!existsSync(path)) return `${target}: not in the repository`;
  if (anchor && path.endsWith('.md') && !anchorsOfFile(path).has(decodeURIComponent(anchor)))
    return `${target}: no such heading`;
  return null;
}

function problemsIn(doc: string, text: string): string[] {
  const problems: string[] = [];
  // [text](target) and ![alt](target); targets with a scheme are not files, an anchor alone is this page's.
  for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*([^)\s]+)(?:\s+"[^"]*")?\s*\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    if (target.startsWith('#')) {
      if (!anchorsOf(text).has(decodeURIComponent(target.slice(1)))) problems.push(`${target}: no such heading`);
      continue;
    }
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
    it(`${doc}: relative links, their anchors and ../ paths resolve in the repository`, () => {
      expect(problemsIn(doc, readFileSync(doc, 'utf8'))).toEqual([]);
    });
  }

  it('the check catches a link, an image and a code span that leave the repository or miss', () => {
    const text =
      'Where `../shared/DESIGN.md` left room; see [the notes](../../elsewhere.md), ![frame](missing.png) and [ok](configuration.md#keys), [web](https://example.com/x).';
    expect(problemsIn('docs/design-notes.md', text)).toEqual([
      '../../elsewhere.md: outside the repository',
      'missing.png: not in the repository',
      '../shared/DESIGN.md: not in the repository',
    ]);
  });

  it('the check catches an anchor that names no heading, in another page or in its own', () => {
    const text =
      '## Here, at last\n\n[a](#here-at-last), [b](#there), [c](configuration.md#keys), [d](configuration.md#no-such-keys), [e](../README.md#quick-start)';
    expect(problemsIn('docs/x.md', text)).toEqual([
      '#there: no such heading',
      'configuration.md#no-such-keys: no such heading',
    ]);
  });

  it('names headings as GitHub does: code spans, punctuation, symbols and repeats', () => {
    const text = [
      '# The `ttv` command',
      '## `ttv models [--json]`',
      '## Crash consistency (Redis): reconciler, data-loss marker',
      '## Scaling out: Redis + separate workers',
      '## DALL·E → snake_case',
      '```sh',
      '# a comment, not a heading',
      '```',
      '## Tests',
      '## Tests',
      '<a id="custom"></a>',
    ].join('\n');
    expect([...anchorsOf(text)]).toEqual([
      'the-ttv-command',
      'ttv-models---json',
      'crash-consistency-redis-reconciler-data-loss-marker',
      'scaling-out-redis--separate-workers',
      'dalle--snake_case',
      'tests',
      'tests-1',
      'custom',
    ]);
  });
});

describe('README.md', () => {
  it(`is a front door of at most ${README_MAX_BYTES} bytes (the manual lives in docs/)`, () => {
    expect(statSync('README.md').size).toBeLessThanOrEqual(README_MAX_BYTES);
  });

  it('maps every page of docs/: each is linked from it', () => {
    const readme = readFileSync('README.md', 'utf8');
    const linked = new Set([...readme.matchAll(/\]\((docs\/[^)#\s]+\.md)(?:#[^)\s]*)?\)/g)].map((m) => m[1]!));
    expect(DOCS.filter((d) => d.startsWith('docs/') && !linked.has(d))).toEqual([]);
  });
});
