// The remote_api_settings every remote backend shares, in the units the code uses.
import type { AppConfig } from '../../config/schema.js';

export interface RemoteSettings {
  maxRetries: number;
  retryBaseMs: number;
  /** remote_api_settings.polling_interval; each backend raises it to its vendor's floor (poll-floor.ts). */
  pollIntervalMs: number;
  /** remote_api_settings.polling_interval_floor_override: poll at pollIntervalMs even below a vendor's floor. */
  pollFloorOverride: boolean;
  /** Whole-task deadline: submit, polling and download of one clip. */
  timeoutMs: number;
  maxDownloadBytes: number;
}

export function remoteSettings(config: AppConfig): RemoteSettings {
  const r = config.remote_api_settings;
  return {
    maxRetries: r.max_retries,
    retryBaseMs: r.retry_base_seconds * 1000,
    pollIntervalMs: r.polling_interval * 1000,
    pollFloorOverride: r.polling_interval_floor_override,
    timeoutMs: r.timeout * 1000,
    maxDownloadBytes: r.max_download_bytes,
  };
}
