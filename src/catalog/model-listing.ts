// The catalog as a list of models in OpenAI's list shape ({object: "list", data: [{id, object:
// "model", created, owned_by}]}) with ttv's capability fields on each entry: what GET /v1/models
// answers (the models this server can render with its credentials) and `ttv models --json` prints
// (the whole catalog, with a flag for the credentials).
import type { AppConfig } from '../config/schema.js';
import type { CatalogRow } from '../config/catalog-row-schema.js';
import { MODEL_CONFIG_KEYS, orderedRows } from './catalog-listing.js';
import { configuredModelRow } from './configured-models.js';
import { modelCatalog, type CatalogModel } from './model-catalog.js';
import { vendorCredentialsConfigured } from './vendor-credentials.js';

/** The offline backend's limits (ProceduralVideoGenerator.capabilities()): any length in range, any aspect. */
const PROCEDURAL = { minSeconds: 0.5, maxSeconds: 60, maxPromptLength: 2000 };

export interface ModelListEntry {
  id: string;
  object: 'model';
  /** When the vendor released it (Unix seconds), where the catalog knows. */
  created?: number;
  owned_by: string;
  backend: string;
  /** Aspect ratios per mode: a list, "follows-image" (the frame's shape), "any", or null (no such mode). */
  modes: { text: string[] | 'any' | null; image: string[] | 'follows-image' | 'any' | null; first_last: boolean };
  durations: CatalogRow['durations'];
  resolutions: string[] | null;
  audio: CatalogRow['audio'];
  usd_per_second: number;
  max_prompt_length: number;
  lifecycle: CatalogRow['lifecycle'];
  source: CatalogRow['source'];
  /** The config key that selects it (null for the offline backend). */
  config_key: string | null;
  /** It is the model that key names now: a job on its backend renders with it. */
  configured: boolean;
  /** The config holds its vendor's credentials. */
  credentials: boolean;
  /** Shipped with ttv or added by the config's `models:`. */
  origin: 'shipped' | 'config' | 'builtin';
}

export interface ModelList {
  object: 'list';
  data: ModelListEntry[];
}

function entryOf(row: CatalogModel, config: AppConfig): ModelListEntry {
  const ratios = (r: CatalogRow['modes']['text'] | CatalogRow['modes']['image']) =>
    r === null || r === 'follows-image' ? r : Object.keys(r);
  return {
    id: row.id,
    object: 'model',
    ...(row.lifecycle.released
      ? { created: Math.floor(Date.parse(`${row.lifecycle.released}T00:00:00Z`) / 1000) }
      : {}),
    owned_by: row.vendor,
    backend: row.backend,
    modes: {
      text: ratios(row.modes.text) as string[] | null,
      image: ratios(row.modes.image),
      first_last: row.modes.first_last,
    },
    durations: row.durations,
    resolutions: row.resolutions ?? null,
    audio: row.audio,
    usd_per_second: row.usd_per_second,
    max_prompt_length: row.max_prompt_length,
    lifecycle: row.lifecycle,
    source: row.source,
    config_key: MODEL_CONFIG_KEYS[row.backend] ?? null,
    configured: configuredModelRow(config, row.backend) === row,
    credentials: vendorCredentialsConfigured(row.vendor, config),
    origin: row.origin,
  };
}

/** The offline backend: always there, free, any aspect ratio. */
function proceduralEntry(config: AppConfig): ModelListEntry {
  return {
    id: 'procedural',
    object: 'model',
    owned_by: 'ttv',
    backend: 'procedural',
    modes: { text: 'any', image: 'any', first_last: true },
    durations: { min: PROCEDURAL.minSeconds, max: PROCEDURAL.maxSeconds },
    resolutions: null,
    audio: 'none',
    usd_per_second: 0,
    max_prompt_length: PROCEDURAL.maxPromptLength,
    lifecycle: { status: 'ga' },
    source: { ref: 'ttv (src/generators/procedural/)', read: '2026-12-06' },
    config_key: null,
    configured:
      config.default_backend.trim().toLowerCase() === 'procedural' ||
      config.default_backend.trim().toLowerCase() === 'offline',
    credentials: true,
    origin: 'builtin',
  };
}

/**
 * The models of the config's catalog. `renderable`: what this server can render now — the offline
 * backend, and every row of a vendor whose credentials the config holds, on a backend this build
 * has (`backends`), except retired ones. `all`: every row, retired ones too (`ttv models`).
 */
export function modelList(config: AppConfig, scope: { renderable: readonly string[] } | 'all'): ModelList {
  const rows = orderedRows(modelCatalog(config)).map((row) => entryOf(row, config));
  const data =
    scope === 'all'
      ? rows
      : rows.filter((e) => e.credentials && e.lifecycle.status !== 'retired' && scope.renderable.includes(e.backend));
  return { object: 'list', data: [proceduralEntry(config), ...data] };
}
