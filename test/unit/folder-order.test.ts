// src's folders depend one way: every relative import (type-only ones included) goes to a lower layer
// of scripts/folder-order.mjs, or stays in its own folder. A new top-level folder must be placed there.
import { readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { expect, it } from 'vitest';
import { FOLDER_ORDER, layerOf } from '../../scripts/folder-order.mjs';
import { SRC, importsOf, modulesUnder } from '../support/source-imports.js';

/** The top-level entry of src/ a path is in: its folder, or the file itself. */
function topEntry(path: string): string {
  return relative(SRC, path).split(sep)[0]!;
}

interface Edge {
  from: string;
  to: string;
}

/** Imports that go against the order: to a higher or the same layer of another entry, or to an unplaced one. */
function againstOrder(edges: Edge[], layer: (entry: string) => number | undefined): string[] {
  return edges.flatMap(({ from, to }) => {
    const a = topEntry(from);
    const b = topEntry(to);
    if (a === b) return [];
    const la = layer(a);
    const lb = layer(b);
    if (la === undefined || lb === undefined || lb >= la) return [`${relative(SRC, from)} → ${relative(SRC, to)}`];
    return [];
  });
}

function importEdges(): Edge[] {
  return modulesUnder(SRC).flatMap((file) => importsOf(file).map((to) => ({ from: file, to })));
}

it('places every top-level entry of src/ in scripts/folder-order.mjs', () => {
  const entries = readdirSync(SRC).filter((name) => statSync(join(SRC, name)).isDirectory() || /\.ts$/.test(name));
  expect(entries.filter((e) => layerOf(e) === undefined)).toEqual([]);
  const placed = FOLDER_ORDER.flat();
  expect(
    placed.filter((e) => !entries.includes(e)),
    'entries listed but gone from src/',
  ).toEqual([]);
});

it('src imports only from lower layers', () => {
  const edges = importEdges();
  expect(edges.length).toBeGreaterThan(500);
  expect(againstOrder(edges, layerOf)).toEqual([]);
});

it('the check refuses an import upward and one within a layer, and accepts one downward', () => {
  const at = (p: string) => join(SRC, p);
  const edges = [
    { from: at('jobs/job.ts'), to: at('api/app.ts') },
    { from: at('http/outbound-http.ts'), to: at('media/ffmpeg.ts') },
    { from: at('api/app.ts'), to: at('jobs/job.ts') },
    { from: at('jobs/job.ts'), to: at('jobs/job-state.ts') },
  ];
  expect(againstOrder(edges, layerOf)).toEqual(['jobs/job.ts → api/app.ts', 'http/outbound-http.ts → media/ffmpeg.ts']);
});
