import { describe, expect, it } from 'vitest';
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { nearestAspect, renderedSizes } from '../../../src/catalog/rendered-sizes.js';

const row = (backend: string, id: string) => shippedCatalog().find(backend, id)!;

describe('renderedSizes', () => {
  it('reads pixel sizes from wire ratios (Runway), per mode', () => {
    expect(renderedSizes(row('runway', 'gen4.5'), false)).toEqual(['1280x720', '720x1280']);
    expect(renderedSizes(row('runway', 'gen4.5'), true)).toContain('960x960');
  });

  it('combines the asked resolution with each aspect where the wire ratio is no pixel size (Veo)', () => {
    const veo = row('veo3', 'veo-3.1-generate-001');
    expect(renderedSizes(veo, false)).toEqual(['1280x720', '720x1280']);
    expect(renderedSizes(veo, false, '1080p')).toEqual(['1920x1080', '1080x1920']);
    expect(renderedSizes(veo, false, '4k')).toEqual(['3840x2160', '2160x3840']);
  });

  it('names no size for a resolution it cannot read as pixels', () => {
    expect(renderedSizes(row('veo3', 'veo-3.1-generate-001'), false, '2k')).toEqual([]);
  });
});

describe('nearestAspect', () => {
  it("picks the mode's aspect ratio closest to the asked size", () => {
    expect(nearestAspect(row('runway', 'gen4.5'), false, 1000, 700)).toBe('16:9');
    expect(nearestAspect(row('runway', 'gen4.5'), false, 700, 1000)).toBe('9:16');
    expect(nearestAspect(row('runway', 'gen4.5'), true, 1000, 980)).toBe('1:1');
  });
});
