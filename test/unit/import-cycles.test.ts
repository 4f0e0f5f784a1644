// src has no import cycle: every relative import (type-only ones included) of every module is
// followed, and a cycle fails with its path. A reader can then take the modules in dependency order
// (in src/jobs: ports, the consumer loop, then each adapter).
import { relative } from 'node:path';
import { expect, it } from 'vitest';
import { SRC, importsOf, modulesUnder } from '../support/source-imports.js';

/** The first cycle among `files` (following only imports inside them), or null. */
function findCycle(files: string[], importsOf: (file: string) => string[]): string[] | null {
  const inScope = new Set(files);
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): string[] | null => {
    if (state.get(file) === 'done') return null;
    if (state.get(file) === 'visiting') return [...stack.slice(stack.indexOf(file)), file];
    state.set(file, 'visiting');
    stack.push(file);
    for (const next of importsOf(file)) {
      if (!inScope.has(next)) continue;
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(file, 'done');
    return null;
  };
  for (const file of files) {
    const cycle = visit(file);
    if (cycle) return cycle;
  }
  return null;
}

it('src has no import cycle', () => {
  const files = modulesUnder(SRC);
  expect(files.length).toBeGreaterThan(100);
  const cycle = findCycle(files, importsOf);
  expect(cycle?.map((f) => relative(SRC, f)).join(' → ') ?? null).toBeNull();
});

it('the check finds a cycle through several modules, and none in a chain', () => {
  const graph: Record<string, string[]> = { queue: ['runner', 'job'], runner: ['port'], port: ['queue'], job: [] };
  expect(findCycle(Object.keys(graph), (f) => graph[f] ?? [])).toEqual(['queue', 'runner', 'port', 'queue']);
  const chain: Record<string, string[]> = { queue: ['runner'], runner: ['port'], port: ['job'], job: [] };
  expect(findCycle(Object.keys(chain), (f) => chain[f] ?? [])).toBeNull();
});
