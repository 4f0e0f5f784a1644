// Video generator registry: normalised backend ids (and their aliases) → a generator for a config.
// Remote (runway, veo3, minimax, fal) and local (wan2.1, hunyuan) backends register here as they
// arrive: one FACTORIES entry, plus ALIASES for the spellings pipeline_config.yaml files use.
import type { AppConfig } from '../config/schema.js';
import { Ffmpeg } from '../media/ffmpeg.js';
import type { VideoGenerator } from './types.js';
import { ProceduralVideoGenerator } from './procedural/procedural-video-generator.js';
import { createWan21Generator } from './local/wan21-video-generator.js';
import { createHunyuanGenerator } from './local/hunyuan-video-generator.js';

/** What a backend may share with the rest of the run instead of building its own. */
export interface GeneratorDeps {
  ffmpeg?: Ffmpeg;
}

type Factory = (config: AppConfig, deps: GeneratorDeps) => VideoGenerator;

/** Keys are normalised ids (see normalizeBackendId). */
const FACTORIES: Record<string, Factory> = {
  procedural: (config, deps) => new ProceduralVideoGenerator(deps.ffmpeg ?? Ffmpeg.fromConfig(config), config.procedural),
  'wan2.1': (config) => createWan21Generator(config),
  hunyuan: (config) => createHunyuanGenerator(config),
};

const ALIASES: Record<string, string> = {
  offline: 'procedural',
  wan: 'wan2.1', wan2_1: 'wan2.1', wan21: 'wan2.1',
  hunyuan_video: 'hunyuan', hunyuanvideo: 'hunyuan',
};

/** Trimmed, lower-cased, runs of spaces and `-` as `_`, aliases resolved: " Offline " → "procedural". */
export function normalizeBackendId(id: string): string {
  const key = id.trim().toLowerCase().replace(/[\s-]+/g, '_');
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
  if (!factory) throw new Error(`default_backend: unknown video backend "${id}" (available: ${knownBackends().join(', ')})`);
  return factory(config, deps);
}
