import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/errors/config-error.js';
import { applyJobOverrides } from '../../../src/job-options/config-overrides.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/config/', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

function issuesOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives the embedded default with no file', () => {
    const { config, files } = loadConfig({ env: {} });
    expect(files).toEqual([]);
    expect(config.server).toMatchObject({ host: '127.0.0.1', port: 8000 });
    expect(config.storage.backend).toBe('local');
    expect(config.default_backend).toBe('procedural');
    expect(config.redis).toBeUndefined();
    expect(config.data_dir).toBe('./.ttv');
  });

  it('loads the Python api_config.yaml and pipeline_config.yaml together, warning on unused legacy keys', () => {
    const { config, warnings } = loadConfig({
      files: [join(FIXTURES, 'api_config.yaml'), join(FIXTURES, 'pipeline_config.yaml')],
      env: {},
    });
    expect(config.server.quic_port).toBe(8443);
    expect(config.redis).toMatchObject({ host: 'redis', port: 6379, db: 0 });
    expect(config.gcs?.credentials_path).toBe(join(FIXTURES, 'credentials/gcs-dev-key.json'));
    expect(config.security.rate_limit_per_minute).toBe(120);
    expect(config.generation_mode).toBe('chaining');
    expect(config.runway_ml).toMatchObject({ model_version: 'gen4_turbo' });
    expect(warnings.join('\n')).toMatch(/"task"/);
    // Wan2.1's root keys are aliases of the wan2_1 section: no warning, and paths resolve against the file.
    expect(config).toMatchObject({
      wan2_1: { wan2_dir: join(FIXTURES, 'Wan2.1'), frame_num: 81, size: '1280*720' },
      total_gpus: 1,
    });
    expect(warnings.join('\n')).not.toMatch(/"wan2_dir"/);
  });

  it('lets later files win and warns about unknown keys', async () => {
    const a = await file('a.yaml', 'segment_duration_seconds: 3\nserver: { port: 9000 }\n');
    const b = await file('b.yaml', 'server: { port: 9001 }\nmystery_key: 1\n');
    const { config, warnings } = loadConfig({ files: [a, b], env: {} });
    expect(config.segment_duration_seconds).toBe(3);
    expect(config.server.port).toBe(9001);
    expect(warnings).toContain('unknown key "mystery_key" ignored');
  });

  it('applies precedence file < env < CLI', async () => {
    const f = await file('p.yaml', 'server: { port: 9000, host: 127.0.0.2 }\nworker: { concurrency: 1 }\n');
    const { config } = loadConfig({
      files: [f],
      env: { TTV_PORT: '9100', API_PORT: '9999', TTV_WORKER_CONCURRENCY: '3' },
      cli: { port: 9200 },
    });
    expect(config.server.port).toBe(9200);
    expect(config.server.host).toBe('127.0.0.2');
    expect(config.worker.concurrency).toBe(3);
    const envOnly = loadConfig({ files: [f], env: { API_PORT: '9999' } });
    expect(envOnly.config.server.port).toBe(9999);
  });

  it("honours the vendors' usual variables", () => {
    const { config } = loadConfig({
      env: {
        OPENAI_API_KEY: 'sk-env',
        RUNWAYML_API_SECRET: 'rw-env',
        FAL_KEY: 'fal-env',
        TTV_REDIS_URL: 'redis://127.0.0.1:6390/2',
      },
    });
    expect(config.openai_api_key).toBe('sk-env');
    expect(config.runway_ml).toMatchObject({ api_key: 'rw-env' });
    expect(config.fal).toMatchObject({ api_key: 'fal-env' });
    expect(config.redis?.url).toBe('redis://127.0.0.1:6390/2');
  });

  it('names the key and the problem for bad values', async () => {
    const bad = await file(
      'bad.yaml',
      'segment_duration_seconds: -1\nserver:\n  port: 70000\n  prot: 1\nstorage: { backend: ftp }\n',
    );
    const message = issuesOf(() => loadConfig({ files: [bad], env: {} }));
    expect(message).toMatch(/segment_duration_seconds: must be positive/);
    expect(message).toMatch(/server\.port: must be between 0 and 65535/);
    expect(message).toMatch(/server\.prot: unknown key/);
    expect(message).toMatch(/storage\.backend/);
  });

  it('names the environment variable that does not parse', () => {
    expect(issuesOf(() => loadConfig({ env: { TTV_PORT: 'abc' } }))).toMatch(/TTV_PORT: must be an integer/);
    expect(issuesOf(() => loadConfig({ env: { TTV_WORKER_ENABLED: 'maybe' } }))).toMatch(
      /TTV_WORKER_ENABLED: must be true or false/,
    );
  });

  it.each([
    ['a key indented under a value', 'server:\n  port: 8000\n   host: x\n', 'line 3, column 4'],
    ['a key indented under a top-level value', 'name: ttv\n  port: 2\n', 'line 2, column 3'],
    ['two keys on one line', 'a: b: c\n', 'line 1, column 4'],
    ['a missing colon', 'server:\n  port 8000\n  host: x\n', 'line 2, column 3'],
    ['an unclosed bracket at the end', 'server:\n  port: 8000\n  host: [unclosed\n', 'line 3, column 18'],
  ])('points a YAML error at the line to fix: %s', async (_name, text, where) => {
    const broken = await file('where.yaml', text);
    expect(issuesOf(() => loadConfig({ files: [broken], env: {} }))).toContain(`invalid YAML at ${where}:`);
  });

  it('names the file and line of a YAML syntax error, and a missing file', async () => {
    const broken = await file('broken.yaml', 'server:\n  port: [1, 2\n');
    expect(issuesOf(() => loadConfig({ files: [broken], env: {} }))).toMatch(/broken\.yaml: invalid YAML/);
    expect(issuesOf(() => loadConfig({ files: [join(dir, 'missing.yaml')], env: {} }))).toMatch(
      /missing\.yaml: config file not found/,
    );
    const list = await file('list.yaml', '- a\n- b\n');
    expect(issuesOf(() => loadConfig({ files: [list], env: {} }))).toMatch(/mapping/);
  });

  it('finds files through TTV_CONFIG', async () => {
    const f = await file('env.yaml', 'segment_duration_seconds: 2\n');
    expect(loadConfig({ env: { TTV_CONFIG: f } }).config.segment_duration_seconds).toBe(2);
  });

  it('resolves relative paths in a file against the file, and from the environment against the cwd', async () => {
    const f = await file('paths.yaml', 'data_dir: ./state\n');
    expect(loadConfig({ files: [f], env: {} }).config.data_dir).toBe(join(dir, 'state'));
    expect(loadConfig({ files: [f], env: { TTV_DATA_DIR: 'rel' } }).config.data_dir).toBe('rel');
  });

  it('takes the prompt from the HTTP request over the file', () => {
    const { config } = loadConfig({ files: [join(FIXTURES, 'pipeline_config.yaml')], env: {} });
    const effective = applyJobOverrides(config, { prompt: 'from http' });
    expect(effective.prompt).toBe('from http');
    expect(config.prompt).toMatch(/red dress/);
  });
});
