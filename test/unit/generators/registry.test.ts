import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';
import { createVideoGenerator, knownBackends, normalizeBackendId } from '../../../src/generators/registry.js';
import { ProceduralVideoGenerator } from '../../../src/generators/procedural/procedural-video-generator.js';

const config = configSchema.parse({});

describe('video generator registry', () => {
  it('creates the procedural backend by id, alias or any casing', () => {
    for (const id of ['procedural', 'Procedural', ' PROCEDURAL ', 'offline']) {
      expect(createVideoGenerator(id, config)).toBeInstanceOf(ProceduralVideoGenerator);
    }
    expect(createVideoGenerator('procedural', config, { ffmpeg: Ffmpeg.fromConfig(config) }).id).toBe('procedural');
  });

  it('normalises ids', () => {
    expect(normalizeBackendId(' Offline ')).toBe('procedural');
    expect(normalizeBackendId('Google-Veo')).toBe('google_veo');
    expect(knownBackends()).toContain('procedural');
  });

  it('refuses unknown ids with a message that lists the known ones', () => {
    expect(() => createVideoGenerator('sora', config)).toThrow(/^default_backend: unknown video backend "sora" \(available: procedural\)$/);
  });
});
