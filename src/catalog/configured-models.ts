// The models a config picks (one per catalogued backend, under the backend's MODEL_CONFIG_KEYS key)
// and what their lifecycle means for a service about to start with them.
import type { AppConfig } from '../config/schema.js';
import type { ConfigIssue } from '../errors/config-error.js';
import { MODEL_CONFIG_KEYS } from './catalog-listing.js';
import { lifecycleVerdict, modelCatalog, type CatalogModel } from './model-catalog.js';

/** The model id the config names for a backend, or undefined (a backend without a catalog, or an unset key). */
export function configuredModelId(config: AppConfig, backend: string): string | undefined {
  const key = MODEL_CONFIG_KEYS[backend];
  if (!key) return undefined;
  const value = key
    .split('.')
    .reduce<unknown>(
      (node, part) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[part] : undefined),
      config,
    );
  return typeof value === 'string' ? value : undefined;
}

/** The catalog row of the model the config names for a backend, if it has one. */
export function configuredModelRow(config: AppConfig, backend: string): CatalogModel | undefined {
  const id = configuredModelId(config, backend);
  return id === undefined ? undefined : modelCatalog(config).find(backend, id);
}

/** A model that still runs but shuts down soon (a /readyz warning and a log line at startup). */
export interface ModelLifecycleWarning {
  backend: string;
  model: string;
  key: string;
  shutdown: string;
  message: string;
}

/**
 * The lifecycle of the models the given backends (a job's chain) run on: a retired model, or one
 * past its announced shutdown, is an error on its config key; one within 30 days of its shutdown a
 * warning. A model without a row is not judged here (building its backend reports that).
 */
export function modelLifecycleIssues(
  config: AppConfig,
  backends: readonly string[],
  today: Date = new Date(),
): { errors: (ConfigIssue & { backend: string })[]; warnings: ModelLifecycleWarning[] } {
  const errors: (ConfigIssue & { backend: string })[] = [];
  const warnings: ModelLifecycleWarning[] = [];
  for (const backend of backends) {
    const row = configuredModelRow(config, backend);
    if (!row) continue;
    const key = MODEL_CONFIG_KEYS[backend]!;
    const verdict = lifecycleVerdict(row, key, today);
    if (verdict?.level === 'error') errors.push({ key, message: verdict.message, backend });
    else if (verdict?.level === 'warning')
      warnings.push({
        backend,
        model: row.id,
        key,
        shutdown: row.lifecycle.shutdown!,
        message: `${key} ${verdict.message}`,
      });
  }
  return { errors, warnings };
}
