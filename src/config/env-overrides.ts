// Environment variables that override config keys. The table is the documentation too
// (docs/configuration.md lists exactly these; a unit test keeps the two in sync).
import { ConfigError, type ConfigIssue } from '../errors/config-error.js';

export type EnvType = 'string' | 'int' | 'number' | 'bool' | 'list';

export interface EnvOverride {
  name: string;
  path: string;
  type: EnvType;
  description: string;
}

// Earlier rows win when two variables set the same key (TTV_* before the Python and vendor names).
export const ENV_OVERRIDES: readonly EnvOverride[] = [
  { name: 'TTV_HOST', path: 'server.host', type: 'string', description: 'address to bind' },
  { name: 'TTV_PORT', path: 'server.port', type: 'int', description: 'port to listen on' },
  {
    name: 'TTV_QUIC_PORT',
    path: 'server.quic_port',
    type: 'int',
    description: 'UDP port advertised in Alt-Svc for HTTP/3',
  },
  {
    name: 'TTV_PUBLIC_URL',
    path: 'server.public_url',
    type: 'string',
    description: 'base URL of signed local download links',
  },
  {
    name: 'TTV_CORS_ORIGINS',
    path: 'security.cors_origins',
    type: 'list',
    description: 'comma-separated allowed origins',
  },
  {
    name: 'TTV_ALLOWED_HOSTS',
    path: 'server.allowed_hosts',
    type: 'list',
    description: 'comma-separated host names served besides loopback',
  },
  { name: 'TTV_DATA_DIR', path: 'data_dir', type: 'string', description: 'job database, artifacts and scratch files' },
  { name: 'TTV_AUTH_TOKEN', path: 'security.auth_token', type: 'string', description: 'bearer token for /v1 routes' },
  {
    name: 'TTV_LOG_LEVEL',
    path: 'logging.level',
    type: 'string',
    description: 'fatal, error, warn, info, debug, trace or silent',
  },
  {
    name: 'TTV_WORKER_CONCURRENCY',
    path: 'worker.concurrency',
    type: 'int',
    description: 'jobs run at once per worker process',
  },
  { name: 'TTV_WORKER_ENABLED', path: 'worker.enabled', type: 'bool', description: 'run workers inside `ttv serve`' },
  { name: 'TTV_STORAGE_BACKEND', path: 'storage.backend', type: 'string', description: 'local, gcs or s3' },
  { name: 'TTV_STORAGE_PREFIX', path: 'storage.prefix', type: 'string', description: 'object key prefix' },
  {
    name: 'TTV_SIGNING_SECRET',
    path: 'storage.local.signing_secret',
    type: 'string',
    description: 'HMAC key of local download links',
  },
  {
    name: 'TTV_REDIS_URL',
    path: 'redis.url',
    type: 'string',
    description: 'use Redis (redis://[:password@]host:port/db)',
  },
  {
    name: 'TTV_POSTGRES_URL',
    path: 'postgres.url',
    type: 'string',
    description: 'use PostgreSQL (postgres://user:password@host:port/db?sslmode=verify-full)',
  },
  { name: 'TTV_DEFAULT_BACKEND', path: 'default_backend', type: 'string', description: 'video generator' },
  { name: 'TTV_GENERATION_MODE', path: 'generation_mode', type: 'string', description: 'keyframe or chaining' },
  {
    name: 'TTV_SEGMENT_DURATION_SECONDS',
    path: 'segment_duration_seconds',
    type: 'number',
    description: 'seconds per segment',
  },
  {
    name: 'TTV_MAX_COST_PER_VIDEO',
    path: 'max_cost_per_video',
    type: 'number',
    description: 'refuse jobs estimated above this many USD',
  },
  { name: 'API_HOST', path: 'server.host', type: 'string', description: 'Python server name for TTV_HOST' },
  { name: 'API_PORT', path: 'server.port', type: 'int', description: 'Python server name for TTV_PORT' },
  { name: 'API_QUIC_PORT', path: 'server.quic_port', type: 'int', description: 'Python server name for TTV_QUIC_PORT' },
  {
    name: 'AUTH_TOKEN',
    path: 'security.auth_token',
    type: 'string',
    description: 'Python server name for TTV_AUTH_TOKEN',
  },
  { name: 'REDIS_HOST', path: 'redis.host', type: 'string', description: 'Redis host (Python server name)' },
  { name: 'REDIS_PORT', path: 'redis.port', type: 'int', description: 'Redis port (Python server name)' },
  {
    name: 'REDIS_PASSWORD',
    path: 'redis.password',
    type: 'string',
    description: 'Redis password (Python server name)',
  },
  { name: 'GCS_BUCKET', path: 'gcs.bucket', type: 'string', description: 'GCS bucket (Python server name)' },
  {
    name: 'GCS_CREDENTIALS_PATH',
    path: 'gcs.credentials_path',
    type: 'string',
    description: 'GCS service-account file (Python server name)',
  },
  { name: 'FFMPEG_PATH', path: 'ffmpeg_path', type: 'string', description: 'ffmpeg binary' },
  { name: 'FFPROBE_PATH', path: 'ffprobe_path', type: 'string', description: 'ffprobe binary' },
  { name: 'OPENAI_API_KEY', path: 'openai_api_key', type: 'string', description: 'OpenAI key (planner, images)' },
  { name: 'OPENAI_BASE_URL', path: 'openai_base_url', type: 'string', description: 'OpenAI-compatible endpoint' },
  { name: 'GEMINI_API_KEY', path: 'gemini_api_key', type: 'string', description: 'Gemini key (images)' },
  { name: 'STABILITY_API_KEY', path: 'stability_api_key', type: 'string', description: 'Stability key (images)' },
  { name: 'RUNWAYML_API_SECRET', path: 'runway_ml.api_key', type: 'string', description: 'Runway key' },
  { name: 'FAL_KEY', path: 'fal.api_key', type: 'string', description: 'fal.ai key' },
  { name: 'FAL_API_KEY', path: 'fal.api_key', type: 'string', description: 'fal.ai key (Python pipeline name)' },
  { name: 'MINIMAX_API_KEY', path: 'minimax.api_key', type: 'string', description: 'MiniMax key' },
  {
    name: 'GOOGLE_APPLICATION_CREDENTIALS',
    path: 'google_veo.credentials_path',
    type: 'string',
    description: 'Google service-account file (Veo)',
  },
];

function parseValue(raw: string, type: EnvType): { ok: true; value: unknown } | { ok: false; message: string } {
  switch (type) {
    case 'string':
      return { ok: true, value: raw };
    case 'int':
      return /^-?\d+$/.test(raw.trim())
        ? { ok: true, value: Number(raw.trim()) }
        : { ok: false, message: 'must be an integer' };
    case 'number': {
      const n = Number(raw.trim());
      return raw.trim() !== '' && Number.isFinite(n)
        ? { ok: true, value: n }
        : { ok: false, message: 'must be a number' };
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return { ok: true, value: true };
      if (['0', 'false', 'no', 'off'].includes(v)) return { ok: true, value: false };
      return { ok: false, message: 'must be true or false' };
    }
    case 'list':
      return {
        ok: true,
        value: raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      };
  }
}

export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (!next || typeof next !== 'object' || Array.isArray(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

/** Lays the environment over a raw (not yet validated) config object, in place. */
export function applyEnvOverrides(raw: Record<string, unknown>, env: Record<string, string | undefined>): void {
  const issues: ConfigIssue[] = [];
  const done = new Set<string>();
  for (const row of ENV_OVERRIDES) {
    const value = env[row.name];
    if (value === undefined || value === '' || done.has(row.path)) continue;
    const parsed = parseValue(value, row.type);
    if (!parsed.ok) {
      issues.push({ key: row.name, message: parsed.message });
      continue;
    }
    setPath(raw, row.path, parsed.value);
    done.add(row.path);
  }
  if (issues.length) throw new ConfigError(issues);
}
