// Video generator registry: normalised backend ids (and their aliases) → a generator for a config,
// and the fallback chain a job runs on (default_backend → fallback_backend → api_priority_order).
import type { AppConfig } from '../config/schema.js';
import { ConfigError, type ConfigIssue } from '../errors/config-error.js';
import { Ffmpeg } from '../media/ffmpeg.js';
import type { VideoGenerator } from './types.js';
import { ProceduralVideoGenerator } from './procedural/procedural-video-generator.js';
import { FallbackVideoGenerator, withoutBackendPrefix, type ClipCheck } from './fallback-video-generator.js';
import { RunwayVideoGenerator } from './runway/runway-video-generator.js';
import { MinimaxVideoGenerator } from './minimax/minimax-video-generator.js';
import { FalVideoGenerator } from './fal/fal-video-generator.js';
import { Veo3VideoGenerator } from './veo3/veo3-video-generator.js';
import { remoteSettings } from './remote/remote-settings.js';
import { modelCatalog } from '../catalog/model-catalog.js';
import { modelLifecycleIssues, type ModelLifecycleWarning } from '../catalog/configured-models.js';
import { createWan21Generator } from './local/wan21-video-generator.js';
import { createHunyuanGenerator } from './local/hunyuan-video-generator.js';

/** What a backend may share with the rest of the run instead of building its own. */
export interface GeneratorDeps {
  ffmpeg?: Ffmpeg;
}

type Factory = (config: AppConfig, deps: GeneratorDeps) => VideoGenerator;

/** Keys are normalised ids (see normalizeBackendId). */
const FACTORIES: Record<string, Factory> = {
  procedural: (config, deps) =>
    new ProceduralVideoGenerator(deps.ffmpeg ?? Ffmpeg.fromConfig(config), config.procedural),
  runway: (config) => new RunwayVideoGenerator(config.runway_ml, remoteSettings(config), modelCatalog(config)),
  veo3: (config) => new Veo3VideoGenerator(config.google_veo, remoteSettings(config), modelCatalog(config)),
  minimax: (config) => new MinimaxVideoGenerator(config.minimax, remoteSettings(config), modelCatalog(config)),
  fal: (config) => new FalVideoGenerator(config.fal, remoteSettings(config), modelCatalog(config)),
  'wan2.1': (config) => createWan21Generator(config),
  hunyuan: (config) => createHunyuanGenerator(config),
};

const ALIASES: Record<string, string> = {
  offline: 'procedural',
  runwayml: 'runway',
  runway_ml: 'runway',
  veo: 'veo3',
  veo_3: 'veo3',
  google_veo: 'veo3',
  hailuo: 'minimax',
  'fal.ai': 'fal',
  fal_ai: 'fal',
  wan: 'wan2.1',
  wan2_1: 'wan2.1',
  wan21: 'wan2.1',
  hunyuan_video: 'hunyuan',
  hunyuanvideo: 'hunyuan',
};

/** Trimmed, lower-cased, runs of spaces and `-` as `_`, aliases resolved: " Offline " → "procedural". */
export function normalizeBackendId(id: string): string {
  const key = id
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return ALIASES[key] ?? key;
}

export function knownBackends(): string[] {
  return Object.keys(FACTORIES);
}

/**
 * The generator for a backend id (default_backend and friends). An unknown id throws an Error whose
 * message starts with "default_backend:" and lists the known ones; the pipeline shows it to the client.
 */
export function createVideoGenerator(id: string, config: AppConfig, deps: GeneratorDeps = {}): VideoGenerator {
  const factory = FACTORIES[normalizeBackendId(id)];
  if (!factory)
    throw new ConfigError([
      { key: 'default_backend', message: `unknown video backend "${id}" (available: ${knownBackends().join(', ')})` },
    ]);
  return factory(config, deps);
}

/** Normalised ids of the chain, first the default, each once; an unknown id names its config key. */
export function backendOrder(config: AppConfig): string[] {
  const named: [string, string][] = [['default_backend', config.default_backend]];
  const fallback = config.remote_api_settings.fallback_backend;
  if (fallback) named.push(['remote_api_settings.fallback_backend', fallback]);
  config.remote_api_settings.api_priority_order.forEach((id, i) =>
    named.push([`remote_api_settings.api_priority_order[${i}]`, id]),
  );
  const order: string[] = [];
  for (const [key, raw] of named) {
    const id = normalizeBackendId(raw);
    if (!FACTORIES[id])
      throw new ConfigError([
        { key, message: `unknown video backend "${raw}" (available: ${knownBackends().join(', ')})` },
      ]);
    if (!order.includes(id)) order.push(id);
  }
  return order;
}

/** The generator a job runs on: its backends in fallback order, each built on first use. */
export function createVideoBackendChain(
  config: AppConfig,
  deps: GeneratorDeps = {},
  checkClip?: ClipCheck,
): FallbackVideoGenerator {
  return new FallbackVideoGenerator(
    backendOrder(config).map((id) => ({ id, create: () => FACTORIES[id]!(config, deps) })),
    checkClip,
  );
}

/**
 * What is wrong with the backend settings, found before any job runs: an unknown id anywhere in the
 * chain, or a default backend that cannot be built (a missing key, project or credentials file) or
 * cannot take this config's segments (length, aspect ratio, model paths), is an error; such a
 * fallback is a warning (the job log will say it was skipped). A retired model is an error wherever
 * it is in the chain (it can never run); one shutting down within 30 days is a warning, also listed
 * in `modelWarnings` for /readyz.
 */
export function backendConfigIssues(
  config: AppConfig,
  today: Date = new Date(),
): { errors: ConfigIssue[]; warnings: string[]; modelWarnings: ModelLifecycleWarning[] } {
  let order: string[];
  try {
    order = backendOrder(config);
  } catch (err) {
    if (err instanceof ConfigError) return { errors: err.issues, warnings: [], modelWarnings: [] };
    throw err;
  }
  const lifecycle = modelLifecycleIssues(config, order, today);
  const errors: ConfigIssue[] = lifecycle.errors.map(({ key, message }) => ({ key, message }));
  const warnings: string[] = lifecycle.warnings.map((w) => w.message);
  const refused = new Set(lifecycle.errors.map((e) => e.backend));
  // A typical segment of this config: what every job will ask of the backend.
  const segment = {
    prompt: 'A typical segment.',
    durationSeconds: config.segment_duration_seconds,
    segment: 1,
    aspectRatio: config.video_aspect_ratio,
  };
  order.forEach((id, index) => {
    if (refused.has(id)) return;
    let message: string | null = null;
    try {
      const problems = FACTORIES[id]!(config, {}).validate(segment);
      if (problems.length) message = problems.join('; ');
    } catch (err) {
      message = withoutBackendPrefix(id, (err as Error).message);
    }
    if (message === null) return;
    if (index === 0)
      errors.push({ key: 'default_backend', message: `${config.default_backend} cannot run: ${message}` });
    else warnings.push(`fallback backend ${id} cannot run and will be skipped: ${message}`);
  });
  errors.push(...openAiModelIssues(config, true));
  return { errors, warnings, modelWarnings: lifecycle.warnings };
}

/**
 * openai_compat.models entries whose backend is unknown or (with `build`, in a process that runs
 * jobs) cannot be built with this config: a startup error, not a request-time surprise.
 */
export function openAiModelIssues(config: AppConfig, build: boolean): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [model, backend] of Object.entries(config.openai_compat.models)) {
    const key = `openai_compat.models.${model}`;
    const id = normalizeBackendId(backend);
    const factory = FACTORIES[id];
    if (!factory) {
      issues.push({ key, message: `maps to unknown backend "${backend}" (known: ${knownBackends().join(', ')})` });
      continue;
    }
    if (!build) continue;
    try {
      factory(config, {});
    } catch (err) {
      issues.push({
        key,
        message: `maps to ${id}, which cannot run: ${withoutBackendPrefix(id, (err as Error).message)}`,
      });
    }
  }
  return issues;
}

/** The lifecycle check alone, for a process that serves the API without running jobs. */
export function chainLifecycleIssues(
  config: AppConfig,
  today: Date = new Date(),
): { errors: ConfigIssue[]; modelWarnings: ModelLifecycleWarning[] } {
  let order: string[];
  try {
    order = backendOrder(config);
  } catch (err) {
    if (err instanceof ConfigError) return { errors: err.issues, modelWarnings: [] };
    throw err;
  }
  const lifecycle = modelLifecycleIssues(config, order, today);
  return {
    errors: [...lifecycle.errors.map(({ key, message }) => ({ key, message })), ...openAiModelIssues(config, false)],
    modelWarnings: lifecycle.warnings,
  };
}
