// The model catalog: the rows shipped in src/catalog/vendors/*.json (one file per vendor), with the
// operator's own rows from the config's `models:` list laid over them (same backend + id replaces
// the shipped row). Everything that asks what a vendor model renders, costs or whether it is still
// offered asks this module; nothing else reads the files.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { CatalogFileError } from '../errors/catalog-file-error.js';
import {
  catalogRowSchema,
  vendorCatalogFileSchema,
  type CatalogRow,
  type Lifecycle,
} from '../config/catalog-row-schema.js';

/** A row as the catalog holds it: the row, the vendor whose file it came from, and where from. */
export type CatalogModel = CatalogRow & {
  /** The vendor file's name ("runway", "google-vertex"), or "operator" for a config row of a new backend. */
  vendor: string;
  /** Shipped with ttv, or the config's `models:` list. */
  origin: 'shipped' | 'config';
};

const VENDOR_DIR = new URL('./vendors/', import.meta.url);

/** Ids are compared without surrounding slashes (a fal endpoint may be written "/fal-ai/veo3/"). */
const rowKey = (backend: string, id: string) => `${backend}\u0000${id.replace(/^\/+|\/+$/g, '')}`;

function issueText(issues: readonly { path: PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

export class ModelCatalog {
  private readonly byKey = new Map<string, CatalogModel>();

  constructor(rows: readonly CatalogModel[]) {
    for (const row of rows) this.byKey.set(rowKey(row.backend, row.id), row);
  }

  /** The row of a model on a backend, if the catalog has one. */
  find(backend: string, id: string): CatalogModel | undefined {
    return this.byKey.get(rowKey(backend, id));
  }

  /** Every row of a backend, in file order (operator rows that add a model come last). */
  rowsFor(backend: string): CatalogModel[] {
    return this.all().filter((r) => r.backend === backend);
  }

  all(): CatalogModel[] {
    return [...this.byKey.values()];
  }

  /** The backends that have rows. */
  backends(): string[] {
    return [...new Set(this.all().map((r) => r.backend))];
  }

  /**
   * This catalog with operator rows laid over it: a row with the backend and id of a shipped one
   * replaces it (keeping its vendor), any other is added.
   */
  withOperatorRows(rows: readonly CatalogRow[]): ModelCatalog {
    if (rows.length === 0) return this;
    const merged = new Map(this.byKey);
    for (const row of rows) {
      const key = rowKey(row.backend, row.id);
      const vendor = merged.get(key)?.vendor ?? this.rowsFor(row.backend)[0]?.vendor ?? 'operator';
      merged.set(key, { ...row, vendor, origin: 'config' });
    }
    return new ModelCatalog([...merged.values()]);
  }
}

/** Reads and validates every vendor file of a directory; a bad or duplicate row throws CatalogFileError. */
export function readCatalogDir(dir: URL | string): CatalogModel[] {
  const path = typeof dir === 'string' ? dir : fileURLToPath(dir);
  const files = readdirSync(path)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const rows: CatalogModel[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const where = `model catalog file ${path.replace(/\/$/, '')}/${file}`;
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(`${path.replace(/\/$/, '')}/${file}`, 'utf8'));
    } catch (err) {
      throw new CatalogFileError(`${where} is not valid JSON: ${(err as Error).message}`);
    }
    const parsed = vendorCatalogFileSchema.safeParse(raw);
    if (!parsed.success) throw new CatalogFileError(`${where} is invalid: ${issueText(parsed.error.issues)}`);
    if (`${parsed.data.vendor}.json` !== file)
      throw new CatalogFileError(`${where} names vendor "${parsed.data.vendor}"; a vendor's file is named after it`);
    for (const row of parsed.data.rows) {
      const key = rowKey(row.backend, row.id);
      const earlier = seen.get(key);
      if (earlier)
        throw new CatalogFileError(`${where}: ${row.backend} model "${row.id}" already has a row in ${earlier}`);
      seen.set(key, file);
      rows.push({ ...row, vendor: parsed.data.vendor, origin: 'shipped' });
    }
  }
  return rows;
}

let shipped: ModelCatalog | null = null;

/** The catalog shipped with ttv (read and validated once per process). */
export function shippedCatalog(): ModelCatalog {
  shipped ??= new ModelCatalog(readCatalogDir(VENDOR_DIR));
  return shipped;
}

const perConfig = new WeakMap<readonly CatalogRow[], ModelCatalog>();

/** The catalog a config sees: the shipped rows with its `models:` rows laid over them. */
export function modelCatalog(config: { models?: readonly CatalogRow[] }): ModelCatalog {
  const rows = config.models ?? [];
  let catalog = perConfig.get(rows);
  if (!catalog) {
    catalog = shippedCatalog().withOperatorRows(rows);
    perConfig.set(rows, catalog);
  }
  return catalog;
}

/** Parses one row the way the config's `models:` entries are parsed (for tests and tools). */
export function parseCatalogRow(raw: unknown): CatalogRow {
  return catalogRowSchema.parse(raw);
}

/**
 * Why a config that names a model without a row cannot use it, and how to add the row: the text of
 * the config error (GenerationError 'config' from the backend that needs it). The example row is a
 * catalogued model of the same backend with the new id, so it has that backend's protocol and wire
 * fields; the operator corrects what differs.
 */
export function missingRowMessage(catalog: ModelCatalog, backend: string, key: string, id: string): string {
  const offered = catalog.rowsFor(backend).filter((r) => r.lifecycle.status !== 'retired');
  const known = offered.map((r) => r.id);
  const head = `${key} "${id}" has no row in ttv's model catalog for backend ${backend}${known.length ? ` (catalogued: ${known.join(', ')})` : ''}`;
  const template = offered[0];
  if (!template)
    return `${head}; to use it anyway, add its row under models: in the config (every field: docs/models.md)`;
  const { vendor: _vendor, origin: _origin, ...row } = template;
  const example = {
    ...row,
    id,
    lifecycle: { status: 'ga' },
    source: { ref: 'where you read these facts', read: 'YYYY-MM-DD' },
  };
  const yaml = stringify({ models: [example] }, { lineWidth: 0 })
    .trimEnd()
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
  return `${head}; to use it anyway, add its row under models: in the config (every field: docs/models.md), e.g. starting from ${template.id}'s row:\n${yaml}`;
}

/** Days from `today` to an ISO date (negative when past). */
function daysUntil(date: string, today: Date): number {
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  return Math.round((Date.parse(`${date}T00:00:00Z`) - start) / 86_400_000);
}

/** How close to shutdown a deprecated model must be for startup to warn about it. */
export const SHUTDOWN_WARNING_DAYS = 30;

export interface LifecycleVerdict {
  /** error: refused at config check and startup; warning: logged and listed by /readyz. */
  level: 'error' | 'warning';
  message: string;
}

/**
 * What the lifecycle of the model configured under `key` means for a service about to start: a
 * retired model (or a deprecated one past its shutdown date) is an error naming the replacement, a
 * deprecated one within SHUTDOWN_WARNING_DAYS of its shutdown a warning, anything else nothing.
 * The message starts with the quoted model id and says what to set instead; the caller puts the
 * key it belongs to in front.
 */
export function lifecycleVerdict(row: CatalogRow, key: string, today: Date = new Date()): LifecycleVerdict | null {
  const l: Lifecycle = row.lifecycle;
  const instead = l.replacement ? `; its replacement is ${l.replacement} (set ${key}: ${l.replacement})` : '';
  const note = l.note ? ` (${l.note})` : '';
  const model = `"${row.id}"`;
  if (l.status === 'retired') {
    return {
      level: 'error',
      message: `${model} is retired${l.shutdown ? ` since ${l.shutdown}` : ''}: the vendor no longer serves it${instead}${note}`,
    };
  }
  if (l.status !== 'deprecated' || !l.shutdown) return null;
  const days = daysUntil(l.shutdown, today);
  if (days <= 0) {
    return {
      level: 'error',
      message: `${model} was deprecated with its shutdown on ${l.shutdown}, which has passed${instead}${note}`,
    };
  }
  if (days <= SHUTDOWN_WARNING_DAYS) {
    return {
      level: 'warning',
      message: `${model} is deprecated and shuts down on ${l.shutdown} (in ${days} day${days === 1 ? '' : 's'})${instead}${note}`,
    };
  }
  return null;
}
