// The config key and value that name a backend's model, for messages ("fal.model fal-ai/veo3").
import type { AppConfig } from '../config/schema.js';
import { MODEL_CONFIG_KEYS } from '../catalog/catalog-listing.js';
import { configuredModelId } from '../catalog/configured-models.js';
import { normalizeBackendId } from './registry.js';

export function modelSetting(config: AppConfig, backend: string): string | undefined {
  const id = normalizeBackendId(backend);
  const key = MODEL_CONFIG_KEYS[id];
  const value = configuredModelId(config, id);
  return key && value ? `${key} ${value}` : undefined;
}
