// What every remote backend does around its vendor's task: its VendorClient, built in one place
// from the backend's config section and the shared remote settings, and the rule for when a
// vendor task is cancelled (the job was canceled or the task passed its deadline), so a stopped
// job stops costing money.
import { CanceledError } from '../../errors/canceled-error.js';
import { GenerationError } from '../../errors/generation-error.js';
import { VendorClient } from '../../http/vendor-client/vendor-client.js';
import { requireKey } from './require-key.js';
import type { RemoteSettings } from './remote-settings.js';

/** The part of a backend's config section its client is built from. */
export interface BackendSection {
  api_key?: string;
  base_url: string;
}

export interface BackendClientSpec {
  backend: string;
  /** The config key of the API key, named when it is missing ("runway_ml.api_key"). */
  keyName: string;
  /** The auth headers for the key. */
  auth: (key: string) => Record<string, string>;
}

/** A remote backend's key (required) and its VendorClient on the section's base_url with the remote settings. */
export function backendClient(spec: BackendClientSpec, section: BackendSection, settings: RemoteSettings): { key: string; client: VendorClient } {
  const key = requireKey(spec.backend, spec.keyName, section.api_key);
  const client = new VendorClient({ vendor: spec.backend, baseUrl: section.base_url, auth: spec.auth(key), retry: settings });
  return { key, client };
}

/** The backend's capability row for the configured model, or a config error naming the choices. */
export function requireModel<M extends { id: string }>(backend: string, found: M | undefined, rows: readonly M[], problem: string): M {
  if (!found) throw new GenerationError(backend, 'config', `${problem} (${rows.map((m) => m.id).join(', ')})`);
  return found;
}

/** Whether the vendor's task should be cancelled after `err`: the job was canceled, or the task passed its deadline. */
export function abandonsTask(err: unknown, signal: AbortSignal): boolean {
  return signal.aborted || err instanceof CanceledError || (err instanceof GenerationError && err.failure === 'timeout');
}
