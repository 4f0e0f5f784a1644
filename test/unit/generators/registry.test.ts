import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';
import {
  backendOrder,
  createVideoBackendChain,
  createVideoGenerator,
  knownBackends,
  normalizeBackendId,
} from '../../../src/generators/registry.js';
import { ProceduralVideoGenerator } from '../../../src/generators/procedural/procedural-video-generator.js';
import { RunwayVideoGenerator } from '../../../src/generators/runway/runway-video-generator.js';
import { GenerationError } from '../../../src/errors/generation-error.js';

const config = configSchema.parse({});

describe('video generator registry', () => {
  it('creates the procedural backend by id, alias or any casing', () => {
    for (const id of ['procedural', 'Procedural', ' PROCEDURAL ', 'offline']) {
      expect(createVideoGenerator(id, config)).toBeInstanceOf(ProceduralVideoGenerator);
    }
    expect(createVideoGenerator('procedural', config, { ffmpeg: Ffmpeg.fromConfig(config) }).id).toBe('procedural');
  });

  it('normalises ids and the spellings of pipeline_config files', () => {
    expect(normalizeBackendId(' Offline ')).toBe('procedural');
    expect(normalizeBackendId('Google-Veo')).toBe('veo3');
    expect(normalizeBackendId('fal.ai')).toBe('fal');
    expect(normalizeBackendId('RunwayML')).toBe('runway');
    expect(normalizeBackendId('MiniMax')).toBe('minimax');
    expect(knownBackends()).toEqual(expect.arrayContaining(['procedural', 'runway', 'veo3', 'minimax', 'fal']));
  });

  it('refuses unknown ids with a message that lists the known ones', () => {
    expect(() => createVideoGenerator('sora', config)).toThrow(
      /^default_backend: unknown video backend "sora" \(available: procedural, runway, .*\)$/,
    );
  });

  it('builds a remote backend only with its key, naming the missing key', () => {
    expect(() => createVideoGenerator('runway', config)).toThrow(GenerationError);
    expect(() => createVideoGenerator('runway', config)).toThrow(/runway_ml\.api_key is required/);
    const keyed = configSchema.parse({ runway_ml: { api_key: 'rw-test-key-123456' } });
    expect(createVideoGenerator('runway', keyed)).toBeInstanceOf(RunwayVideoGenerator);
  });
});

describe('fallback order', () => {
  it('is default_backend, then fallback_backend, then api_priority_order, each once', () => {
    const c = configSchema.parse({
      default_backend: 'RunwayML',
      remote_api_settings: {
        fallback_backend: 'fal.ai',
        api_priority_order: ['runway', 'minimax', 'fal', 'procedural'],
      },
    });
    expect(backendOrder(c)).toEqual(['runway', 'fal', 'minimax', 'procedural']);
    expect(createVideoBackendChain(c).order).toEqual(['runway', 'fal', 'minimax', 'procedural']);
  });

  it('names the config key of an unknown backend in the chain', () => {
    const c = configSchema.parse({ remote_api_settings: { api_priority_order: ['procedural', 'sora'] } });
    expect(() => backendOrder(c)).toThrow(
      /^remote_api_settings\.api_priority_order\[1\]: unknown video backend "sora"/,
    );
  });

  it('builds members lazily: a misconfigured fallback does not stop a working default', () => {
    const c = configSchema.parse({ remote_api_settings: { fallback_backend: 'runway' } });
    const chain = createVideoBackendChain(c);
    expect(chain.primary().id).toBe('procedural');
    expect(chain.validate({ prompt: 'a cat', durationSeconds: 1, segment: 1 })).toEqual([]);
  });
});
