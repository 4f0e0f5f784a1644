// The default expiry of artifact URLs. The Python server's `gcs.signed_url_expiration` wins when the
// GCS store is in use and the key is set (as `gcs.prefix` wins over `storage.prefix`); otherwise
// `storage.signed_url_expiration`.
import type { AppConfig } from './schema.js';

export function defaultSignedUrlExpiration(config: AppConfig): number {
  const fromGcs = config.storage.backend === 'gcs' ? config.gcs?.signed_url_expiration : undefined;
  return fromGcs ?? config.storage.signed_url_expiration;
}
