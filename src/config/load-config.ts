// Loads the effective configuration: YAML files (later override earlier), then environment
// variables, then CLI flags, validated by the zod schema with messages that name the key.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { didYouMean } from './nearest-key.js';
import type { ZodError } from 'zod';
import { ACCEPTED_LEGACY_KEYS, configObjectSchema, configSchema, type AppConfig } from './schema.js';
import { WAN21_ROOT_KEYS } from './python-aliases.js';
import { ConfigError, type ConfigIssue } from '../errors/config-error.js';
import { applyEnvOverrides } from './env-overrides.js';
import { applyCliOverrides, type CliOverrides } from './cli-overrides.js';
import { IGNORED_PYTHON_KEY_PATHS } from './ignored-python-keys.js';
import { DEPRECATED_KEY_PATHS } from './deprecated-keys.js';

export interface LoadConfigOptions {
  files?: string[];
  env?: Record<string, string | undefined>;
  cli?: CliOverrides;
  cwd?: string;
}

export interface LoadedConfig {
  config: AppConfig;
  warnings: string[];
  files: string[];
}

// Path-valued keys. A relative path in a file is relative to that file's directory; one from the
// environment or a flag is relative to the working directory.
const PATH_KEYS = [
  'data_dir',
  'server.tls.cert_path',
  'server.tls.key_path',
  'gcs.credentials_path',
  'redis.tls.ca',
  'redis.tls.cert',
  'redis.tls.key',
  'storage.local.dir',
  'initial_image',
  'google_veo.credentials_path',
  'wan2_dir',
  'i2v_model_dir',
  'flf2v_model_dir',
  'wan2_1.wan2_dir',
  'wan2_1.i2v_model_dir',
  'wan2_1.flf2v_model_dir',
  'hunyuan_video.hunyuan_dir',
  'hunyuan_video.config_file',
  'hunyuan_video.ckpt_path',
];

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

export function deepMerge(base: Raw, over: Raw): Raw {
  const out: Raw = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Raw, v) : v;
  return out;
}

function getPath(raw: Raw, path: string): unknown {
  return path.split('.').reduce<unknown>((node, part) => (isObject(node) ? node[part] : undefined), raw);
}

function setExisting(raw: Raw, path: string, value: unknown): void {
  const parts = path.split('.');
  let node: unknown = raw;
  for (const part of parts.slice(0, -1)) node = isObject(node) ? node[part] : undefined;
  if (isObject(node)) node[parts[parts.length - 1]!] = value;
}

/**
 * Line and column (1-based) to show for a YAML error. The yaml library places two kinds elsewhere
 * than where a reader looks: a key indented under a plain value ("Nested mappings are not allowed
 * in compact mappings") at the start of that value, a line early, so it is moved to the key whose
 * colon makes the nested mapping; and an unclosed bracket or quote at the end of input, on a line
 * past the last one when the file ends with a newline, so it is kept on the last line.
 */
function yamlProblemPosition(
  text: string,
  err: { code: string; pos: [number, number]; linePos?: [{ line: number; col: number }, ...unknown[]] },
): { line: number; col: number } | null {
  const at = (offset: number) => {
    const before = text.slice(0, offset);
    const lineStart = before.lastIndexOf('\n') + 1;
    return { line: before.split('\n').length, col: offset - lineStart + 1 };
  };
  if (err.code === 'BLOCK_AS_IMPLICIT_KEY') {
    const colon = /:(?=[ \t\r\n]|$)/.exec(text.slice(err.pos[0]));
    if (colon) {
      let keyStart = err.pos[0] + colon.index;
      while (keyStart > 0 && !/[\s]/.test(text[keyStart - 1]!)) keyStart -= 1;
      return at(keyStart);
    }
  }
  const pos = err.linePos?.[0];
  if (!pos) return null;
  const lines = text.replace(/\n$/, '').split('\n');
  if (pos.line > lines.length) return { line: lines.length, col: lines[lines.length - 1]!.length + 1 };
  return pos;
}

function readYaml(file: string): Raw {
  if (!existsSync(file)) throw new ConfigError([{ key: file, message: 'config file not found' }]);
  const text = readFileSync(file, 'utf8');
  // prettyErrors fills in linePos (line and column); the message itself is cut to its first line.
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0]!;
    const pos = yamlProblemPosition(text, err);
    const what = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ConfigError([
      { key: file, message: `invalid YAML${pos ? ` at line ${pos.line}, column ${pos.col}` : ''}: ${what}` },
    ]);
  }
  const value = doc.toJS() as unknown;
  if (value === null || value === undefined) return {};
  if (!isObject(value)) throw new ConfigError([{ key: file, message: 'top level must be a mapping of keys' }]);
  const base = dirname(resolve(file));
  for (const path of PATH_KEYS) {
    const v = getPath(value, path);
    if (typeof v === 'string' && v !== '' && !isAbsolute(v)) setExisting(value, path, resolve(base, v));
  }
  return value;
}

/** Files named by the environment when no --config is given: TTV_CONFIG, else the Python names. */
function filesFromEnv(env: Record<string, string | undefined>): string[] {
  if (env.TTV_CONFIG)
    return env.TTV_CONFIG.split(/[,:]/)
      .map((s) => s.trim())
      .filter(Boolean);
  return [env.API_CONFIG_PATH, env.PIPELINE_CONFIG_PATH].filter((f): f is string => !!f && existsSync(f));
}

/** The keys a strict section of the schema knows, for "did you mean" (empty when unknown). */
function sectionKeys(path: PropertyKey[]): string[] {
  let node: unknown = configObjectSchema;
  for (const part of path) {
    const shape = shapeOf(node);
    node = shape?.[String(part)];
  }
  return Object.keys(shapeOf(node) ?? {});
}

function shapeOf(schema: unknown): Record<string, unknown> | undefined {
  let s = schema as
    { shape?: Record<string, unknown>; unwrap?: () => unknown; def?: { innerType?: unknown } } | undefined;
  for (let i = 0; i < 5 && s && !s.shape; i += 1) s = (s.def?.innerType ?? s.unwrap?.()) as typeof s;
  return s?.shape;
}

function zodIssues(error: ZodError): ConfigIssue[] {
  return error.issues.map((issue) => {
    const key = issue.path.length ? issue.path.join('.') : '(root)';
    if (issue.code === 'unrecognized_keys') {
      const known = sectionKeys(issue.path);
      return {
        key: issue.keys.map((k) => (issue.path.length ? `${issue.path.join('.')}.${k}` : k)).join(', '),
        message: `unknown key${issue.keys.length === 1 ? didYouMean(issue.keys[0]!, known) : ''}`,
      };
    }
    return { key, message: issue.message };
  });
}

export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const env = options.env ?? {};
  const files = (options.files && options.files.length > 0 ? options.files : filesFromEnv(env)).map((f) =>
    resolve(options.cwd ?? process.cwd(), f),
  );
  let raw: Raw = {};
  for (const file of files) raw = deepMerge(raw, readYaml(file));
  applyEnvOverrides(raw, env);
  if (options.cli) applyCliOverrides(raw, options.cli);

  const known = new Set<string>([
    ...Object.keys(configObjectSchema.shape),
    ...ACCEPTED_LEGACY_KEYS,
    ...WAN21_ROOT_KEYS,
  ]);
  const warnings: string[] = [];
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) warnings.push(`unknown key "${key}" ignored${didYouMean(key, known)}`);
    else if ((ACCEPTED_LEGACY_KEYS as readonly string[]).includes(key))
      warnings.push(`key "${key}" is accepted for compatibility but not used by ttv`);
  }
  for (const path of IGNORED_PYTHON_KEY_PATHS) {
    if (getPath(raw, path) !== undefined)
      warnings.push(`key "${path}" is accepted for compatibility but not used by ttv`);
  }
  for (const [path, instead] of Object.entries(DEPRECATED_KEY_PATHS)) {
    if (getPath(raw, path) !== undefined)
      warnings.push(`key "${path}" is deprecated, ignored, and will be removed in the next release; ${instead}`);
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(zodIssues(parsed.error));
  if (parsed.data.redis?.tls?.reject_unauthorized === false)
    warnings.push(
      "redis.tls.reject_unauthorized is false: the Redis servers' certificates are not checked, so anyone on the path can pose as them",
    );
  return { config: parsed.data, warnings, files };
}
