// Every key of the Python original's config files (and its environment names), as listed in
// docs/configuration.md's "Python keys" table: each is either read into the effective config (a real
// YAML file with a non-default value changes the named field) or accepted and ignored with a warning
// naming it. A documented row without a test row here fails, and so does a test row without a doc row.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load-config.js';
import { setPath } from '../../../src/config/env-overrides.js';
import { defaultSignedUrlExpiration } from '../../../src/config/signed-url-expiration.js';
import type { AppConfig } from '../../../src/config/schema.js';

type Get = (config: AppConfig, dir: string) => unknown;
/** Read from a file: `value` at the key's path (plus `base`), and `get` must then equal `expected`. */
interface FromFile {
  value: unknown;
  get: Get;
  expected?: (dir: string) => unknown;
  base?: Record<string, unknown>;
}
/** Read from the environment. */
interface FromEnv {
  env: string;
  get: Get;
  expected?: (dir: string) => unknown;
}
type Row = FromFile | FromEnv | 'ignored';

const at =
  (path: string): Get =>
  (config) =>
    path.split('.').reduce<unknown>((n, p) => (n as Record<string, unknown> | undefined)?.[p], config);
const same = (path: string, value: unknown): FromFile => ({ value, get: at(path) });
/** A Python key kept under another ttv key: the value set at the Python key shows up at `path`. */
const alias = same;
const relPath = (path: string, file: string): FromFile => ({
  value: `./${file}`,
  get: at(path),
  expected: (dir) => join(dir, file),
});
const env = (path: string, value: string, expected: unknown = value): FromEnv => ({
  env: value,
  get: at(path),
  expected: () => expected,
});

const ROWS: Record<string, Row> = {
  // api_config.yaml
  'server.host': same('server.host', '127.0.0.2'),
  'server.port': same('server.port', 9123),
  'server.quic_port': same('server.quic_port', 8443),
  'server.workers': 'ignored',
  'server.cors_origins': alias('security.cors_origins', ['https://app.example']),
  'redis.host': same('redis.host', 'redis.internal'),
  'redis.port': same('redis.port', 6380),
  'redis.db': same('redis.db', 3),
  'redis.password': same('redis.password', 'pw-123'),
  'gcs.bucket': same('gcs.bucket', 'ttv-dev'),
  'gcs.prefix': { ...alias('storage.prefix', 'dev'), base: { storage: { backend: 'gcs' }, gcs: { bucket: 'b' } } },
  'gcs.credentials_path': relPath('gcs.credentials_path', 'gcs-key.json'),
  // The observable: the default expiry every artifact URL gets (the route reads this function).
  'gcs.signed_url_expiration': {
    value: 900,
    base: { storage: { backend: 'gcs' }, gcs: { bucket: 'b' } },
    get: (c) => defaultSignedUrlExpiration(c),
  },
  'security.auth_token': same('security.auth_token', 'tok-abcdefgh'),
  'security.rate_limit_per_minute': same('security.rate_limit_per_minute', 120),
  api: 'ignored',
  cors: 'ignored',
  // Python level names, as the sample api_config.yaml writes them.
  'logging.level': { value: 'WARNING', get: at('logging.level'), expected: () => 'warn' },
  'logging.format': 'ignored',
  // pipeline_config.yaml
  task: 'ignored',
  size: alias('wan2_1.size', '832*480'),
  prompt: same('prompt', 'a lighthouse at dawn'),
  default_backend: same('default_backend', 'runway'),
  generation_mode: same('generation_mode', 'keyframe'),
  wan2_dir: relPath('wan2_1.wan2_dir', 'Wan2.1'),
  flf2v_model_dir: relPath('wan2_1.flf2v_model_dir', 'flf2v'),
  i2v_model_dir: relPath('wan2_1.i2v_model_dir', 'i2v'),
  'hunyuan_video.hunyuan_dir': relPath('hunyuan_video.hunyuan_dir', 'HunyuanVideo'),
  'hunyuan_video.config_file': relPath('hunyuan_video.config_file', 'hy.yaml'),
  'hunyuan_video.ckpt_path': relPath('hunyuan_video.ckpt_path', 'hy.ckpt'),
  'hunyuan_video.max_duration': same('hunyuan_video.max_duration', 4),
  'hunyuan_video.sample_steps': same('hunyuan_video.sample_steps', 30),
  'hunyuan_video.seed': same('hunyuan_video.seed', 7),
  total_gpus: same('total_gpus', 4),
  parallel_segments: same('parallel_segments', 2),
  gpu_count: alias('wan2_1.gpu_count', 2),
  chaining_max_retries: alias('wan2_1.chaining_max_retries', 5),
  chaining_use_fsdp_flags: alias('wan2_1.chaining_use_fsdp_flags', false),
  framepack_dir: 'ignored',
  'runway_ml.api_key': same('runway_ml.api_key', 'key_runway'),
  'runway_ml.model_version': same('runway_ml.model_version', 'gen4.5'),
  'runway_ml.max_duration': same('runway_ml.max_duration', 5),
  'runway_ml.default_ratio': same('runway_ml.default_ratio', '720:1280'),
  'runway_ml.seed': same('runway_ml.seed', 42),
  'runway_ml.motion_amount': 'ignored',
  'google_veo.project_id': same('google_veo.project_id', 'my-project'),
  'google_veo.credentials_path': relPath('google_veo.credentials_path', 'veo.json'),
  'google_veo.region': same('google_veo.region', 'europe-west4'),
  'google_veo.veo_model': same('google_veo.veo_model', 'veo-3.0-fast-generate-001'),
  'google_veo.output_bucket': same('google_veo.output_bucket', 'veo-out'),
  'minimax.api_key': same('minimax.api_key', 'mm-key'),
  'minimax.model': same('minimax.model', 'MiniMax-Hailuo-02'),
  'minimax.max_duration': same('minimax.max_duration', 10),
  'minimax.base_url': same('minimax.base_url', 'https://api.minimaxi.chat/v1'),
  'fal.api_key': same('fal.api_key', 'fal-key'),
  'fal.model': same('fal.model', 'fal-ai/kling-video/v2/master/image-to-video'),
  'fal.base_url': same('fal.base_url', 'https://fal.example'),
  'fal.max_duration': same('fal.max_duration', 6),
  'fal.default_input': same('fal.default_input', { cfg_scale: 0.5 }),
  'remote_api_settings.max_retries': same('remote_api_settings.max_retries', 1),
  'remote_api_settings.timeout': same('remote_api_settings.timeout', 120),
  'remote_api_settings.polling_interval': same('remote_api_settings.polling_interval', 2),
  'remote_api_settings.fallback_backend': same('remote_api_settings.fallback_backend', 'minimax'),
  image_generation_model: same('image_generation_model', 'gemini-2.5-flash-image-preview'),
  reference_images_dir: 'ignored',
  image_size: same('image_size', '1536x1024'),
  auto_generate_initial: 'ignored',
  single_keyframe_mode: 'ignored',
  keyframe_position: 'ignored',
  gemini_api_key: same('gemini_api_key', 'g-key'),
  openai_api_key: same('openai_api_key', 'sk-test'),
  openai_base_url: same('openai_base_url', 'https://llm.example/v1'),
  stability_api_key: same('stability_api_key', 'st-key'),
  image_router_api_key: 'ignored',
  prompt_enhancement_model: same('prompt_enhancement_model', 'o4-mini'),
  video_aspect_ratio: same('video_aspect_ratio', '9:16'),
  segment_duration_seconds: same('segment_duration_seconds', 8),
  frame_num: alias('wan2_1.frame_num', 49),
  sample_steps: alias('wan2_1.sample_steps', 30),
  sample_shift: alias('wan2_1.sample_shift', 3),
  guide_scale: alias('wan2_1.guide_scale', 6),
  base_seed: 'ignored',
  initial_image: relPath('initial_image', 'first.png'),
  output_dir: 'ignored',
  default_video_generation_backend: 'ignored',
  i2i_mode: 'ignored',
  keyframe_prompt_model: 'ignored',
  image_router_token: 'ignored',
  gcs_bucket: 'ignored',
  gcs_prefix: 'ignored',
  credentials_path: 'ignored',
  signed_url_expiration: 'ignored',
  // environment
  API_HOST: env('server.host', '127.0.0.3'),
  API_PORT: env('server.port', '9124', 9124),
  API_QUIC_PORT: env('server.quic_port', '9443', 9443),
  AUTH_TOKEN: env('security.auth_token', 'env-token-1'),
  REDIS_HOST: env('redis.host', 'redis-env'),
  REDIS_PORT: env('redis.port', '6390', 6390),
  REDIS_PASSWORD: env('redis.password', 'env-pw'),
  GCS_BUCKET: env('gcs.bucket', 'env-bucket'),
  GCS_CREDENTIALS_PATH: env('gcs.credentials_path', '/abs/gcs.json'),
  FAL_API_KEY: env('fal.api_key', 'env-fal'),
};
// Tested by the last case (they choose files, not a key).
const FILE_SELECTING_ENV = ['API_CONFIG_PATH', 'PIPELINE_CONFIG_PATH'];

// A plausible value for an ignored key (the Python files' own types where ttv type-checks them).
const IGNORED_VALUE: Record<string, unknown> = {
  'server.workers': 4,
  single_keyframe_mode: true,
  api: { title: 'x' },
  cors: { allow_origins: ['*'] },
  i2i_mode: { keyframe_position: 'first' },
};

interface DocRow {
  key: string;
  where: string;
  ttv: string;
}

async function documentedPythonKeys(): Promise<DocRow[]> {
  const docs = await readFile('docs/configuration.md', 'utf8');
  const start = docs.indexOf('\n## Python keys');
  expect(start, 'docs/configuration.md has a "## Python keys" section').toBeGreaterThan(0);
  const section = docs.slice(start + 1, docs.indexOf('\n## ', start + 1));
  return section
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => {
      const [key, where, ttv] = l
        .split('|')
        .slice(1, 4)
        .map((c) => c.trim());
      return { key: key!.replace(/`/g, ''), where: where!, ttv: ttv! };
    });
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-pykeys-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function loadWith(raw: Record<string, unknown>, envVars: Record<string, string> = {}) {
  const file = join(dir, 'config.yaml');
  await writeFile(file, stringify(raw));
  return loadConfig({ files: [file], env: envVars });
}

describe('Python config keys', () => {
  it('the docs table and this test list the same keys, and agree on which are ignored', async () => {
    const docs = await documentedPythonKeys();
    expect(docs.map((d) => d.key).sort()).toEqual([...Object.keys(ROWS), ...FILE_SELECTING_ENV].sort());
    for (const d of docs.filter((x) => x.key in ROWS))
      expect(d.ttv === 'accepted and ignored', d.key).toBe(ROWS[d.key] === 'ignored');
  });

  it('every Python environment name of the environment table is in the Python keys table', async () => {
    const docs = await readFile('docs/configuration.md', 'utf8');
    const envSection = docs.slice(docs.indexOf('\n## Environment variables'));
    const pythonNames = envSection
      .split('\n')
      .filter((l) => l.startsWith('| `') && /Python/.test(l))
      .map((l) => l.split('|')[1]!.trim().replace(/`/g, ''));
    expect(pythonNames.length).toBeGreaterThan(5);
    for (const name of pythonNames) expect([...Object.keys(ROWS), ...FILE_SELECTING_ENV], name).toContain(name);
  });

  it.each(Object.entries(ROWS))('%s', async (key, row) => {
    const defaults = (await loadWith({})).config;
    if (row === 'ignored') {
      const raw: Record<string, unknown> = {};
      setPath(raw, key, key in IGNORED_VALUE ? IGNORED_VALUE[key] : 'x');
      const { warnings } = await loadWith(raw);
      expect(warnings).toContain(`key "${key}" is accepted for compatibility but not used by ttv`);
      return;
    }
    if ('env' in row) {
      const { config } = await loadWith({}, { [key]: row.env });
      expect(row.get(config, dir)).toEqual(row.expected!(dir));
      expect(row.get(config, dir)).not.toEqual(row.get(defaults, dir));
      return;
    }
    const raw: Record<string, unknown> = structuredClone(row.base ?? {});
    setPath(raw, key, row.value);
    const base = (await loadWith(structuredClone(row.base ?? {}))).config;
    const { config, warnings } = await loadWith(raw);
    expect(row.get(config, dir)).toEqual(row.expected ? row.expected(dir) : row.value);
    expect(row.get(config, dir)).not.toEqual(row.get(base, dir));
    expect(warnings.filter((w) => w.includes(`"${key}"`))).toEqual([]);
  });

  // A field that loads but that no code outside the config module ever reads is the
  // gcs.signed_url_expiration bug again: each field a row names must be read somewhere in src/.
  // A name heuristic: it catches distinctive names (image_router_api_key would have failed), not
  // common ones like `workers` that other code uses for something else.
  it('every field a Python key sets is read outside src/config (a property access, not a comment)', async () => {
    const files = (await readdir('src', { recursive: true })).filter(
      (f) => f.endsWith('.ts') && !f.startsWith('config/'),
    );
    const code = (await Promise.all(files.map((f) => readFile(join('src', f), 'utf8'))))
      .join('\n')
      .split('\n')
      .filter((l) => !/^\s*(\/\/|\*)/.test(l))
      .join('\n');
    const unread = Object.entries(ROWS)
      .filter(([, row]) => row !== 'ignored' && !('env' in row))
      .map(([key]) => key)
      .filter((key) => key !== 'gcs.signed_url_expiration') // read through defaultSignedUrlExpiration in src/config
      .filter((key) => {
        const field = key.split('.').pop()!;
        // obj.field, obj['field'], or a destructuring `{ field }` / `{ field: name }`
        return !new RegExp(`\\.${field}\\b|['"]${field}['"]|[{,]\\s*${field}\\s*[:,}]`).test(code);
      });
    expect(unread).toEqual([]);
  });

  it('API_CONFIG_PATH and PIPELINE_CONFIG_PATH name the files read when no --config is given', async () => {
    const apiFile = join(dir, 'api_config.yaml');
    const pipelineFile = join(dir, 'pipeline_config.yaml');
    await writeFile(apiFile, stringify({ server: { port: 9200 } }));
    await writeFile(pipelineFile, stringify({ prompt: 'from the pipeline file' }));
    const { config, files } = loadConfig({ env: { API_CONFIG_PATH: apiFile, PIPELINE_CONFIG_PATH: pipelineFile } });
    expect(files).toEqual([apiFile, pipelineFile]);
    expect(config.server.port).toBe(9200);
    expect(config.prompt).toBe('from the pipeline file');
  });
});
