// Chooses the ArtifactStore adapter from config (storage.backend).
import type { AppConfig } from '../config/schema.js';
import type { ArtifactStore } from './types.js';
import { LocalArtifactStore } from './local/local-artifact-store.js';

export async function openArtifactStore(config: AppConfig): Promise<ArtifactStore> {
  switch (config.storage.backend) {
    case 'local':
      return LocalArtifactStore.fromConfig(config);
    default:
      throw new Error(`storage.backend: "${config.storage.backend}" is not available in this build yet (use "local")`);
  }
}
