import { describe, expect, it } from 'vitest';
import { ProceduralPlanner, splitSentences } from '../../../src/planning/procedural-planner.js';

const signal = new AbortController().signal;
const plan = (prompt: string, maxSegments = 6, maxPromptLength = 2000) =>
  new ProceduralPlanner(maxSegments).plan({ prompt, segmentDurationSeconds: 5, maxPromptLength }, { signal });

describe('ProceduralPlanner', () => {
  it('splits on . ! ? and line breaks and drops empty pieces', () => {
    expect(splitSentences('One. Two! Three?\nFour')).toEqual(['One.', 'Two!', 'Three?', 'Four']);
    expect(splitSentences('  A.   ...  \n\n B?! ')).toEqual(['A.', 'B?!']);
    expect(splitSentences('')).toEqual([]);
  });

  it('gives one segment for one sentence', async () => {
    const p = await plan('A fox runs through the snow.');
    expect(p.segments).toEqual([
      {
        segment: 1,
        videoPrompt: 'A fox runs through the snow.',
        keyframePrompt: 'Last frame of segment 1: A fox runs through the snow.',
      },
    ]);
    expect((await plan('no punctuation here')).segments).toHaveLength(1);
  });

  it('gives one segment per sentence up to max_segments', async () => {
    const p = await plan('One. Two. Three.');
    expect(p.segments.map((s) => s.videoPrompt)).toEqual(['One.', 'Two.', 'Three.']);
    expect(p.segments.map((s) => s.segment)).toEqual([1, 2, 3]);
    expect(p.segments[2]!.keyframePrompt).toBe('Last frame of segment 3: Three.');
  });

  it('groups consecutive sentences evenly when there are more than max_segments', async () => {
    const p = await plan('S1. S2. S3. S4. S5. S6. S7. S8. S9. S10.', 3);
    expect(p.segments.map((s) => s.videoPrompt)).toEqual(['S1. S2. S3.', 'S4. S5. S6.', 'S7. S8. S9. S10.']);
    expect(p.reasoning).toMatch(/^10 sentences grouped into 3 segments of /);
    expect((await plan('One. Two. Three. Four. Five.', 2)).segments.map((s) => s.videoPrompt)).toEqual([
      'One. Two.',
      'Three. Four. Five.',
    ]);
  });

  it('caps every prompt at the backend limit', async () => {
    const p = await plan(`${'word '.repeat(100)}end.`, 6, 50);
    expect(p.segments[0]!.videoPrompt).toHaveLength(50);
    expect(p.segments[0]!.keyframePrompt.length).toBeLessThanOrEqual(50);
  });

  it('is deterministic', async () => {
    const prompt = 'A storm gathers. Lightning strikes the tower! The rain stops?\nSunrise.';
    expect(await plan(prompt, 2)).toEqual(await plan(prompt, 2));
  });
});
