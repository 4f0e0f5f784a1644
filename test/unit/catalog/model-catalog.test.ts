// The model catalog: the shipped files parse with the one row schema, a broken file is refused with
// its name and the path of the bad field, config rows are validated the same way and override
// shipped rows, and lifecycle verdicts follow the announced dates.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { catalogRowSchema } from '../../../src/config/catalog-row-schema.js';
import { lifecycleVerdict, modelCatalog, readCatalogDir, shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { configSchema } from '../../../src/config/schema.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors/config-error.js';
import { CatalogFileError } from '../../../src/errors/catalog-file-error.js';
import { backendConfigIssues, chainLifecycleIssues, createVideoGenerator } from '../../../src/generators/registry.js';
import { GenerationError } from '../../../src/errors/generation-error.js';

/** A valid Runway-like row; tests change one thing each. */
function row(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    backend: 'runway',
    id: 'gen9_test',
    protocol: 'runway-v1',
    modes: { text: { '16:9': '1280:720' }, image: null, first_last: false },
    durations: { seconds: [5] },
    duration_field: true,
    audio: 'none',
    usd_per_second: 0.1,
    max_prompt_length: 1000,
    lifecycle: { status: 'ga' },
    source: { ref: 'a test', read: '2026-12-06' },
    ...overrides,
  };
}

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-catalog-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('shipped catalog', () => {
  it('has one file per vendor, each valid, with every row citing a source and a read date', () => {
    const files = readdirSync(new URL('../../../src/catalog/vendors/', import.meta.url)).sort();
    expect(files).toEqual(['fal.json', 'gemini-api.json', 'google-vertex.json', 'minimax.json', 'runway.json']);
    const rows = shippedCatalog().all();
    expect(new Set(rows.map((r) => r.vendor))).toEqual(new Set(files.map((f) => f.replace('.json', ''))));
    for (const r of rows) expect(r.source.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('carries the Google lifecycle facts of 2026-12', () => {
    const c = shippedCatalog();
    expect(c.find('veo3', 'veo-3.0-generate-001')?.lifecycle).toMatchObject({
      status: 'retired',
      shutdown: '2026-06-30',
      replacement: 'veo-3.1-generate-001',
    });
    expect(c.find('veo3', 'veo-3.0-fast-generate-001')?.lifecycle).toMatchObject({
      status: 'retired',
      replacement: 'veo-3.1-fast-generate-001',
    });
    expect(c.find('veo3', 'veo-3.1-generate-001')?.lifecycle).toMatchObject({
      status: 'ga',
      released: '2025-11-17',
      note: expect.stringContaining('no shutdown date'),
    });
    expect(c.find('veo3', 'veo-3.1-generate-preview')?.lifecycle).toMatchObject({
      status: 'retired',
      shutdown: '2026-10-22',
      replacement: 'gemini-omni-1.1-flash',
    });
    expect(c.all().find((r) => r.id === 'gemini-omni-1.1-flash')).toMatchObject({
      vendor: 'gemini-api',
      protocol: 'gemini-interactions',
      lifecycle: { status: 'ga' },
    });
  });

  it('finds a fal endpoint written with surrounding slashes', () => {
    expect(shippedCatalog().find('fal', '/fal-ai/veo3/')?.id).toBe('fal-ai/veo3');
  });
});

describe('reading vendor files', () => {
  it('refuses a bad row naming the file and the field', async () => {
    await writeFile(
      join(dir, 'runway.json'),
      JSON.stringify({ vendor: 'runway', rows: [row({ durations: { min: 10, max: 2 } })] }),
    );
    expect(() => readCatalogDir(dir)).toThrow(CatalogFileError);
    expect(() => readCatalogDir(dir)).toThrow(/runway\.json is invalid: rows\.0\.durations/);
  });

  it('refuses a misspelt wire key (the wire object is strict)', async () => {
    await writeFile(
      join(dir, 'fal.json'),
      JSON.stringify({
        vendor: 'fal',
        rows: [row({ backend: 'fal', protocol: 'fal-queue', wire: { image_feild: 'image_url' } })],
      }),
    );
    expect(() => readCatalogDir(dir)).toThrow(/fal\.json is invalid: rows\.0\.wire: Unrecognized key.*image_feild/);
  });

  it('refuses a second row for the same backend and id, in another file', async () => {
    await writeFile(join(dir, 'a.json'), JSON.stringify({ vendor: 'a', rows: [row()] }));
    await writeFile(join(dir, 'b.json'), JSON.stringify({ vendor: 'b', rows: [row()] }));
    expect(() => readCatalogDir(dir)).toThrow(/b\.json: runway model "gen9_test" already has a row in a\.json/);
  });

  it('refuses a file not named after its vendor, and text that is not JSON', async () => {
    await writeFile(join(dir, 'runway.json'), JSON.stringify({ vendor: 'fal', rows: [] }));
    expect(() => readCatalogDir(dir)).toThrow(/names vendor "fal"/);
    await writeFile(join(dir, 'runway.json'), '{ rows: ');
    expect(() => readCatalogDir(dir)).toThrow(/runway\.json is not valid JSON/);
  });
});

describe('row schema', () => {
  it('takes a deprecation without a shutdown date only as ga with a note', () => {
    expect(
      catalogRowSchema.safeParse(row({ lifecycle: { status: 'deprecated', note: 'on or after 2027-01-01' } })).success,
    ).toBe(false);
    expect(
      catalogRowSchema.safeParse(row({ lifecycle: { status: 'ga', note: 'deprecation on or after 2027-01-01' } }))
        .success,
    ).toBe(true);
  });

  it('refuses impossible dates, unknown protocols and a model with no mode', () => {
    expect(catalogRowSchema.safeParse(row({ source: { ref: 'x', read: '2026-13-40' } })).success).toBe(false);
    expect(catalogRowSchema.safeParse(row({ protocol: 'carrier-pigeon' })).success).toBe(false);
    expect(catalogRowSchema.safeParse(row({ modes: { text: null, image: null, first_last: false } })).success).toBe(
      false,
    );
  });
});

describe('rows in the config (models:)', () => {
  it('adds a model: the backend accepts an id that has no shipped row', () => {
    const without = configSchema.parse({
      runway_ml: { api_key: 'rw-0123456789', model_version: 'gen9_test' },
      segment_duration_seconds: 5,
    });
    expect(() => createVideoGenerator('runway', without)).toThrow(
      /runway_ml\.model_version "gen9_test" has no row in ttv's model catalog.*add its row under models:/s,
    );
    const withRow = configSchema.parse({
      runway_ml: { api_key: 'rw-0123456789', model_version: 'gen9_test' },
      segment_duration_seconds: 5,
      models: [row()],
    });
    const gen = createVideoGenerator('runway', withRow);
    expect(gen.configuredModel?.row).toMatchObject({ id: 'gen9_test', origin: 'config', vendor: 'runway' });
    expect(gen.validate({ prompt: 'x', durationSeconds: 5, segment: 1 })).toEqual([]);
    expect(gen.estimateCost(5)).toBeCloseTo(0.5);
  });

  it('overrides a shipped row with the same backend and id', () => {
    const cfg = configSchema.parse({ models: [row({ id: 'gen4.5', usd_per_second: 0.07 })] });
    const catalog = modelCatalog(cfg);
    expect(catalog.find('runway', 'gen4.5')).toMatchObject({
      usd_per_second: 0.07,
      origin: 'config',
      vendor: 'runway',
    });
    expect(catalog.rowsFor('runway').filter((r) => r.id === 'gen4.5')).toHaveLength(1);
    expect(shippedCatalog().find('runway', 'gen4.5')?.usd_per_second).toBe(0.12);
  });

  it('validates each row with the shipped schema, naming the key', async () => {
    const file = join(dir, 'c.yaml');
    await writeFile(
      file,
      'models:\n  - backend: runway\n    id: gen9_test\n    protocol: runway-v1\n    modes: { text: null, image: null, first_last: false }\n',
    );
    let err: unknown;
    try {
      loadConfig({ files: [file] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const keys = (err as ConfigError).issues.map((i) => i.key);
    expect(keys).toEqual(
      expect.arrayContaining(['models.0.modes', 'models.0.durations', 'models.0.lifecycle', 'models.0.source']),
    );
  });

  it('refuses two rows for one backend and id', () => {
    const parsed = configSchema.safeParse({ models: [row(), row({ usd_per_second: 0.2 })] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({
      path: ['models', 1, 'id'],
      message: expect.stringMatching(/a second row for runway model "gen9_test"/),
    });
  });
});

describe('lifecycle', () => {
  const today = new Date('2026-12-06T12:00:00Z');
  const deprecated = (shutdown: string) =>
    catalogRowSchema.parse(row({ lifecycle: { status: 'deprecated', shutdown, replacement: 'gen10' } }));

  it('a retired model is an error naming its replacement', () => {
    const verdict = lifecycleVerdict(
      shippedCatalog().find('veo3', 'veo-3.0-generate-001')!,
      'google_veo.veo_model',
      today,
    );
    expect(verdict).toEqual({
      level: 'error',
      message: expect.stringMatching(
        /^"veo-3\.0-generate-001" is retired since 2026-06-30.*set google_veo\.veo_model: veo-3\.1-generate-001/,
      ),
    });
  });

  it('a deprecated model warns within 30 days of its shutdown, not before, and is refused after it', () => {
    expect(lifecycleVerdict(deprecated('2026-12-16'), 'k', today)).toEqual({
      level: 'warning',
      message: expect.stringContaining('shuts down on 2026-12-16 (in 10 days)'),
    });
    expect(lifecycleVerdict(deprecated('2027-01-05'), 'k', today)).toMatchObject({ level: 'warning' });
    expect(lifecycleVerdict(deprecated('2027-01-06'), 'k', today)).toBeNull();
    expect(lifecycleVerdict(deprecated('2026-12-06'), 'k', today)).toMatchObject({
      level: 'error',
      message: expect.stringContaining('which has passed'),
    });
  });

  it('ga and preview models are not judged, a ga note of a future deprecation included', () => {
    expect(lifecycleVerdict(shippedCatalog().find('veo3', 'veo-3.1-generate-001')!, 'k', today)).toBeNull();
    expect(lifecycleVerdict(catalogRowSchema.parse(row({ lifecycle: { status: 'preview' } })), 'k', today)).toBeNull();
  });

  it('the startup check refuses a retired model anywhere in the chain, and warns of one shutting down soon', () => {
    const vertex = { project_id: 'p', credentials_path: '/nonexistent/sa.json' };
    const retiredFallback = configSchema.parse({
      segment_duration_seconds: 6,
      google_veo: { ...vertex, veo_model: 'veo-3.0-generate-001' },
      remote_api_settings: { fallback_backend: 'veo3' },
    });
    expect(backendConfigIssues(retiredFallback, today).errors).toEqual([
      { key: 'google_veo.veo_model', message: expect.stringContaining('veo-3.1-generate-001') },
    ]);
    expect(chainLifecycleIssues(retiredFallback, today).errors).toHaveLength(1);
    // Not in the chain: not judged (a job cannot reach it without the backend option).
    expect(
      backendConfigIssues(
        { ...retiredFallback, remote_api_settings: { ...retiredFallback.remote_api_settings, fallback_backend: null } },
        today,
      ).errors,
    ).toEqual([]);

    const soon = configSchema.parse({
      default_backend: 'runway',
      segment_duration_seconds: 5,
      runway_ml: { api_key: 'rw-0123456789', model_version: 'gen9_test' },
      models: [row({ lifecycle: { status: 'deprecated', shutdown: '2026-12-20', replacement: 'gen10' } })],
    });
    const issues = backendConfigIssues(soon, today);
    expect(issues.errors).toEqual([]);
    expect(issues.warnings).toEqual([
      expect.stringMatching(
        /^runway_ml\.model_version "gen9_test" is deprecated and shuts down on 2026-12-20 \(in 14 days\)/,
      ),
    ]);
    expect(issues.modelWarnings).toEqual([
      {
        backend: 'runway',
        model: 'gen9_test',
        key: 'runway_ml.model_version',
        shutdown: '2026-12-20',
        message: issues.warnings[0],
      },
    ]);
  });

  it('a job that picks a backend set to a retired model fails before any call, naming the replacement', () => {
    const cfg = configSchema.parse({
      runway_ml: { api_key: 'rw-0123456789', model_version: 'gen9_test' },
      models: [row({ lifecycle: { status: 'retired', shutdown: '2026-11-01', replacement: 'gen4.5' } })],
    });
    expect(() => createVideoGenerator('runway', cfg)).toThrow(GenerationError);
    expect(() => createVideoGenerator('runway', cfg)).toThrow(
      /runway_ml\.model_version "gen9_test" is retired since 2026-11-01.*set runway_ml\.model_version: gen4\.5/,
    );
  });
});
