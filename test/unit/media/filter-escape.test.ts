// Text escaped for a filtergraph must reach the filter unchanged: drawing it with text=<escaped>
// gives exactly the pixels of drawing the same text read from a file (textfile= needs no escaping).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { escapeFilterValue } from '../../../src/media/filter-escape.js';
import { findFont } from '../../../src/generators/procedural/procedural-video-generator.js';
import { runProcess } from '../../../src/media/process-runner.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-escape-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function render(drawtextOptions: string): Promise<string> {
  const font = findFont();
  if (!font) throw new Error('DejaVu Sans is needed for this test (fonts-dejavu-core)');
  const { stdout } = await runProcess('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-f',
    'lavfi',
    '-i',
    'color=c=black:s=480x40',
    '-filter_complex',
    `[0:v]drawtext=fontfile=${escapeFilterValue(font)}:expansion=none:fontcolor=white:fontsize=14:x=2:y=10:${drawtextOptions}[out]`,
    '-map',
    '[out]',
    '-frames:v',
    '1',
    '-f',
    'md5',
    '-',
  ]);
  return stdout.trim();
}

describe('escapeFilterValue', () => {
  const samples = [
    "It's a test: 50% [done]; a,b \\ back",
    "quotes ' \" '' and colons :: in=equals",
    '  leading and trailing spaces  ',
    'brackets [in][out] ; split , here',
    '%{pts} stays literal',
  ];
  for (const [i, text] of samples.entries()) {
    it(`passes ${JSON.stringify(text)} through unchanged`, async () => {
      const file = join(dir, `text-${i}.txt`);
      await writeFile(file, text);
      const viaFile = await render(`textfile=${escapeFilterValue(file)}`);
      expect(await render(`text=${escapeFilterValue(text)}`)).toBe(viaFile);
    });
  }

  it('tells different texts apart (the comparison is not vacuous)', async () => {
    expect(await render(`text=${escapeFilterValue('one')}`)).not.toBe(await render(`text=${escapeFilterValue('two')}`));
  });
});
