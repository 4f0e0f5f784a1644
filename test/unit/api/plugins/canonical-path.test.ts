// The canonical-path fast path (one regular expression) must never accept a target the full check
// refuses, and must take the common shapes itself; held together over the path corpus and a seeded
// fuzz of the characters the rule is about.
import { describe, expect, it } from 'vitest';
import { normalTargetProblem, targetProblem } from '../../../../src/api/plugins/canonical-path.js';
import { apiRoutes, PATH_VARIANTS } from '../../../support/path-corpus.js';

const JOB_ID = '0b9d6f3e-8c1a-4b7e-9f0a-2d5c6e7f8a9b';

function corpus(): string[] {
  const targets = new Set<string>();
  for (const route of apiRoutes(JOB_ID)) {
    for (const variant of PATH_VARIANTS) targets.add(variant.target(route.path));
    targets.add(`${route.path}?limit=20&status=failed`);
    targets.add(`${route.path}?cursor=abc#frag`);
  }
  for (const extra of [
    '/',
    '/?',
    '/?x=1',
    '',
    '*',
    '/.',
    '/..',
    '/...',
    '/.well-known',
    '/a.b/c..d',
    '/a/..?x',
    '/a/.?',
    '/a?b/../c',
    '/a#b',
    '/a?b#c',
    '/%41',
    '/a%20b',
    '/a%2',
    '/é',
    '/a b',
    '/a\t',
    '/a%C3%A9',
    "/!$&'()*+,=:@",
    '/a;b',
    '/a//b',
    '/a/',
    '//',
  ])
    targets.add(extra);
  return [...targets];
}

// Small seeded PRNG (mulberry32): the fuzz is the same on every run, so a failure reproduces.
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('targetProblem', () => {
  it("gives the full check's verdict on every target of the path corpus", () => {
    for (const target of corpus())
      expect([target, targetProblem(target)]).toEqual([target, normalTargetProblem(target)]);
  });

  it("gives the full check's verdict on 20 000 fuzzed targets built from the characters the rule is about", () => {
    const next = random(17);
    const alphabet = [
      '/',
      '/',
      '.',
      '.',
      '%',
      '2',
      'E',
      'e',
      'a',
      'Z',
      '?',
      '#',
      ';',
      '\\',
      ' ',
      'é',
      '~',
      '=',
      '&',
      '@',
    ];
    let accepted = 0;
    for (let i = 0; i < 20_000; i += 1) {
      const length = 1 + Math.floor(next() * 10);
      let target = '/';
      for (let j = 0; j < length; j += 1) target += alphabet[Math.floor(next() * alphabet.length)];
      const verdict = targetProblem(target);
      expect([target, verdict]).toEqual([target, normalTargetProblem(target)]);
      if (verdict === null) accepted += 1;
    }
    // The fuzz must exercise both verdicts, or it proves nothing.
    expect(accepted).toBeGreaterThan(100);
  });

  it('still refuses what the rule refuses', () => {
    expect(targetProblem('/v1/jobs/../healthz')).toMatch(/"\." or "\.\." segments/);
    expect(targetProblem('/v1/jobs/')).toMatch(/must not end with/);
    expect(targetProblem('/v1/%6Aobs')).toMatch(/must appear as itself/);
    expect(targetProblem('/v1/jobs#y')).toMatch(/fragment/);
    expect(targetProblem('/v1/jobs?limit=20')).toBeNull();
  });
});
