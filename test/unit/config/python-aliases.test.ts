// Python keys ttv keeps in another place: folded into their ttv key by every parse (files, or
// configSchema.parse as embedders and tests call it), never left behind under the old name.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';

describe('Python key aliases', () => {
  it('Wan2.1 root keys are the wan2_1 section; a key the section sets wins', () => {
    const config = configSchema.parse({
      wan2_dir: '/opt/wan',
      frame_num: 17,
      chaining_use_fsdp_flags: false,
      wan2_1: { frame_num: 33 },
    });
    expect(config.wan2_1).toMatchObject({
      wan2_dir: '/opt/wan',
      frame_num: 33,
      chaining_use_fsdp_flags: false,
      sample_steps: 40,
    });
    expect(config).not.toHaveProperty('wan2_dir');
    expect(config).not.toHaveProperty('frame_num');
  });

  it('a root Wan2.1 key is validated, as part of wan2_1', () => {
    const result = configSchema.safeParse({ frame_num: 0 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['wan2_1', 'frame_num']);
  });

  it('server.cors_origins adds to security.cors_origins', () => {
    const config = configSchema.parse({
      server: { cors_origins: ['https://a.example', 'https://b.example'] },
      security: { cors_origins: ['https://b.example', 'https://c.example'] },
    });
    expect(config.security.cors_origins).toEqual(['https://b.example', 'https://c.example', 'https://a.example']);
    expect(config.server).not.toHaveProperty('cors_origins');
  });

  it('gcs.prefix is storage.prefix with the GCS store, and does nothing with another', () => {
    expect(
      configSchema.parse({ storage: { backend: 'gcs', prefix: 'other' }, gcs: { bucket: 'b', prefix: 'dev' } }).storage
        .prefix,
    ).toBe('dev');
    expect(
      configSchema.parse({ storage: { backend: 'gcs', prefix: 'other' }, gcs: { bucket: 'b' } }).storage.prefix,
    ).toBe('other');
    expect(configSchema.parse({ storage: { backend: 'gcs' }, gcs: { bucket: 'b' } }).storage.prefix).toBe('ttv-api');
    expect(configSchema.parse({ gcs: { bucket: 'b', prefix: 'dev' } }).storage.prefix).toBe('ttv-api');
  });

  it('leaves its input alone', () => {
    const raw = {
      wan2_dir: '/opt/wan',
      server: { cors_origins: ['https://a.example'] },
      storage: { backend: 'gcs' },
      gcs: { bucket: 'b', prefix: 'dev' },
    };
    const before = structuredClone(raw);
    configSchema.parse(raw);
    expect(raw).toEqual(before);
  });
});
