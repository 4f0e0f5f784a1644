// Chooses the ArtifactStore adapter from config (storage.backend). The cloud adapters are imported
// only when configured: their SDKs take ~0.3 s (GCS) and ~0.5 s (S3) of CPU to load, which every
// `ttv` process on local storage would otherwise pay at start.
import type { AppConfig } from '../config/schema.js';
import type { ArtifactStore } from './types.js';
import { LocalArtifactStore } from './local/local-artifact-store.js';

export async function openArtifactStore(config: AppConfig): Promise<ArtifactStore> {
  switch (config.storage.backend) {
    case 'gcs':
      return (await import('./gcs/gcs-artifact-store.js')).GcsArtifactStore.fromConfig(config);
    case 's3':
      return (await import('./s3/s3-artifact-store.js')).S3ArtifactStore.fromConfig(config);
    default:
      return LocalArtifactStore.fromConfig(config);
  }
}
