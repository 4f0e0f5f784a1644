// Video generator registry: normalised backend ids (and their aliases) → a generator for a config.
import type { AppConfig } from '../config/schema.js';
import { Ffmpeg } from '../media/ffmpeg.js';
import type { VideoGenerator } from './types.js';
import { ProceduralVideoGenerator } from './procedural/procedural-video-generator.js';

type Factory = (config: AppConfig) => VideoGenerator;

const FACTORIES: Record<string, Factory> = {
  procedural: (config) => new ProceduralVideoGenerator(Ffmpeg.fromConfig(config), config.procedural),
};

const ALIASES: Record<string, string> = { offline: 'procedural' };

export function normalizeBackendId(id: string): string {
  const key = id.trim().toLowerCase();
  return ALIASES[key] ?? key;
}

export function knownBackends(): string[] {
  return Object.keys(FACTORIES);
}

export function createVideoGenerator(id: string, config: AppConfig): VideoGenerator {
  const factory = FACTORIES[normalizeBackendId(id)];
  if (!factory) throw new Error(`default_backend: unknown video backend "${id}" (available: ${knownBackends().join(', ')})`);
  return factory(config);
}
