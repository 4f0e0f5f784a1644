import { describe, expect, it } from 'vitest';
import { promptLook, LOOK_TABLE } from '../../../src/generators/procedural/prompt-look.js';
import { wrapText } from '../../../src/generators/procedural/wrap-text.js';
import { cardTexts, clock } from '../../../src/generators/procedural/storyboard-graph.js';

describe('storyboard texts', () => {
  it('wraps at spaces, splits over-long words and marks a cut with an ellipsis', () => {
    expect(wrapText('A fox runs through snow. It stops at a frozen river.', 16, 5)).toEqual([
      'A fox runs',
      'through snow. It',
      'stops at a',
      'frozen river.',
    ]);
    expect(wrapText('abcdefghij', 4, 5)).toEqual(['abcd', 'efgh', 'ij']);
    const cut = wrapText('one two three four five six seven eight', 9, 2);
    expect(cut).toHaveLength(2);
    expect(cut[1]!.endsWith('…')).toBe(true);
    expect([...cut[1]!].length).toBeLessThanOrEqual(9);
    expect(wrapText('  \n ', 10, 3)).toEqual([]);
  });

  it('picks palette and motion from the word table, the first entry winning, with a hash fallback', () => {
    expect(promptLook('A fox runs through snow at night.')).toMatchObject({
      theme: 'snow',
      motion: 'fall',
      colors: ['0xe3f0fb', '0x9cc3e6'],
    });
    expect(promptLook('The harbour at DUSK.')).toMatchObject({ theme: 'dusk' });
    expect(promptLook('Waves on the rocks.')).toMatchObject({ theme: 'sea', motion: 'sway' });
    expect(promptLook('Sparks from the campfire.')).toMatchObject({ theme: 'fire', motion: 'rise' });
    const plain = promptLook('A red kite.');
    expect(plain.theme).toBe('hash');
    expect(promptLook('A red kite.')).toEqual(plain);
    expect(promptLook('A blue kite.').colors).not.toEqual(plain.colors);
    expect(new Set(LOOK_TABLE.map((e) => e.theme)).size).toBe(LOOK_TABLE.length);
  });

  it('heads the card with the segment number and its place in the final video', () => {
    expect(clock(0)).toBe('0:00');
    expect(clock(62.5)).toBe('1:02.5');
    const texts = cardTexts(promptLook('x'), 'Second beat of the story.', 2, 5, 5, { width: 640, height: 360 });
    expect(texts.header).toBe('Segment 2 · 0:05–0:10');
    expect(texts.caption).toBe('Second beat of the story.');
  });
});
