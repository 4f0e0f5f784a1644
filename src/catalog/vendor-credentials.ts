// Whether a config holds the credentials a catalog vendor needs, so `ttv models` and GET /v1/models
// can say which models this server can render. A row is the vendor file's; the veo3 backend talks
// to Vertex AI (a service account, google_veo.project_id) unless google_veo.api_key selects the
// Gemini API, so the two Google files answer to different keys.
import type { AppConfig } from '../config/schema.js';

export interface VendorCredentials {
  /** The config keys that hold them, for people ("runway_ml.api_key"). */
  keys: string;
  configured: (config: AppConfig) => boolean;
}

export const VENDOR_CREDENTIALS: Record<string, VendorCredentials> = {
  runway: { keys: 'runway_ml.api_key', configured: (c) => !!c.runway_ml.api_key },
  'google-vertex': {
    keys: 'google_veo.project_id (+ service account credentials_path), without google_veo.api_key',
    configured: (c) => !c.google_veo.api_key && !!c.google_veo.project_id,
  },
  'gemini-api': { keys: 'google_veo.api_key', configured: (c) => !!c.google_veo.api_key },
  minimax: { keys: 'minimax.api_key', configured: (c) => !!c.minimax.api_key },
  fal: { keys: 'fal.api_key', configured: (c) => !!c.fal.api_key },
};

/** Whether the config has the credentials of this vendor (false for a vendor ttv does not know). */
export function vendorCredentialsConfigured(vendor: string, config: AppConfig): boolean {
  return VENDOR_CREDENTIALS[vendor]?.configured(config) ?? false;
}
