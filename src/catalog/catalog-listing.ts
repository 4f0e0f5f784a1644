// How the catalog is listed to people (README table, `ttv models`, GET /v1/models): backends in a
// fixed order, and the config key that picks a backend's model.
import type { CatalogModel, ModelCatalog } from './model-catalog.js';

/** The config key that names each catalogued backend's model. */
export const MODEL_CONFIG_KEYS: Record<string, string> = {
  runway: 'runway_ml.model_version',
  // Veo and Gemini Omni, on Vertex AI or the Gemini API (the row's protocol says which).
  veo3: 'google_veo.veo_model',
  minimax: 'minimax.model',
  fal: 'fal.model',
};

const BACKEND_ORDER = ['runway', 'veo3', 'minimax', 'fal'];

const STATUS_ORDER = ['ga', 'preview', 'deprecated', 'retired'];

/**
 * Every row, grouped by backend in BACKEND_ORDER (others after, by name); within a backend the
 * offered models first, then deprecated, then retired ones, each group in file order.
 */
export function orderedRows(catalog: ModelCatalog): CatalogModel[] {
  const rank = (backend: string) => {
    const i = BACKEND_ORDER.indexOf(backend);
    return i === -1 ? BACKEND_ORDER.length : i;
  };
  const backends = catalog.backends().sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const byStatus = (a: CatalogModel, b: CatalogModel) =>
    STATUS_ORDER.indexOf(a.lifecycle.status) - STATUS_ORDER.indexOf(b.lifecycle.status);
  return backends.flatMap((b) => catalog.rowsFor(b).sort(byStatus));
}
