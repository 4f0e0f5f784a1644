import { describe, expect, it } from 'vitest';
import {
  aspectText,
  cropToAspect,
  nearestSize,
  sizeForAspect,
  sizeInAspect,
} from '../../../src/media/frame-geometry.js';

describe('frame geometry', () => {
  it('sizes an aspect at a long side, in even pixels', () => {
    expect(sizeForAspect('16:9', 640)).toEqual({ width: 640, height: 360 });
    expect(sizeForAspect('9:16', 640)).toEqual({ width: 360, height: 640 });
    expect(sizeForAspect('4:3', 1000)).toEqual({ width: 1000, height: 750 });
  });

  it("keeps a size of the aspect's shape, and turns another to the aspect at its long side", () => {
    expect(sizeInAspect('16:9', { width: 1366, height: 768 })).toEqual({ width: 1366, height: 768 });
    expect(sizeInAspect(undefined, { width: 640, height: 360 })).toEqual({ width: 640, height: 360 });
    expect(sizeInAspect('9:16', { width: 640, height: 360 })).toEqual({ width: 360, height: 640 });
    expect(sizeInAspect('1:1', { width: 160, height: 90 })).toEqual({ width: 160, height: 160 });
  });

  it('picks the candidate nearest in shape, the larger of equals', () => {
    const gpt = [
      { width: 1024, height: 1024 },
      { width: 1536, height: 1024 },
      { width: 1024, height: 1536 },
    ];
    expect(nearestSize(9 / 16, gpt)).toEqual({ width: 1024, height: 1536 });
    expect(nearestSize(16 / 9, gpt)).toEqual({ width: 1536, height: 1024 });
    expect(nearestSize(1, gpt)).toEqual({ width: 1024, height: 1024 });
    expect(
      nearestSize(1, [
        { width: 256, height: 256 },
        { width: 1024, height: 1024 },
      ]),
    ).toEqual({ width: 1024, height: 1024 });
  });

  it('crops the largest centred region of an aspect, in even pixels', () => {
    expect(cropToAspect({ width: 1024, height: 1536 }, 9 / 16)).toEqual({ width: 864, height: 1536 });
    expect(cropToAspect({ width: 1536, height: 1024 }, 16 / 9)).toEqual({ width: 1536, height: 864 });
    expect(cropToAspect({ width: 768, height: 1344 }, 9 / 16)).toEqual({ width: 756, height: 1344 });
    expect(aspectText({ width: 640, height: 360 })).toBe('16:9');
  });
});
