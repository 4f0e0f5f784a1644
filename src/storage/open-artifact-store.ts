// Chooses the ArtifactStore adapter from config (storage.backend).
import type { AppConfig } from '../config/schema.js';
import type { ArtifactStore } from './types.js';
import { LocalArtifactStore } from './local/local-artifact-store.js';
import { GcsArtifactStore } from './gcs/gcs-artifact-store.js';
import { S3ArtifactStore } from './s3/s3-artifact-store.js';

export async function openArtifactStore(config: AppConfig): Promise<ArtifactStore> {
  switch (config.storage.backend) {
    case 'gcs':
      return GcsArtifactStore.fromConfig(config);
    case 's3':
      return S3ArtifactStore.fromConfig(config);
    default:
      return LocalArtifactStore.fromConfig(config);
  }
}
