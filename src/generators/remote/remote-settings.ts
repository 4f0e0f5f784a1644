// The remote_api_settings every remote backend shares, in the units the code uses.
import type { AppConfig } from '../../config/schema.js';

export interface RemoteSettings {
  maxRetries: number;
  retryBaseMs: number;
  pollIntervalMs: number;
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
    timeoutMs: r.timeout * 1000,
    maxDownloadBytes: r.max_download_bytes,
  };
}
