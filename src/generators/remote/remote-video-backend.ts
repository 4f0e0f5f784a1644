// What the keyed remote backends (Runway, MiniMax, fal) share: each takes its own config section
// and the shared remote settings, needs its key, has a catalog row for its configured model,
// and reaches its vendor through one VendorClient on the section's base_url. Their capabilities,
// request checks and list price follow from the row and the section's max_duration.
import { GenerationError } from '../../errors/generation-error.js';
import { VendorClient } from '../../http/vendor-client/vendor-client.js';
import type {
  ConfiguredModel,
  GenerateHooks,
  GenerateRequest,
  GenerateResult,
  GeneratorCapabilities,
  VideoGenerator,
} from '../types.js';
import {
  lifecycleVerdict,
  missingRowMessage,
  type CatalogModel,
  type ModelCatalog,
} from '../../catalog/model-catalog.js';
import { modelRequestProblems, summarize } from './model-request-problems.js';
import { requireKey } from './require-key.js';
import type { RemoteSettings } from './remote-settings.js';

/** The part of a backend's config section the shared code reads. */
export interface RemoteSection {
  api_key?: string;
  base_url: string;
  max_duration: number;
}

export interface RemoteBackendSpec {
  backend: string;
  /** The section's name in the config ("runway_ml"), for the keys named in errors. */
  sectionName: string;
  /** The auth headers for the key. */
  auth: (key: string) => Record<string, string>;
  /** The section's key that names the model ("model_version"), and the model id it names. */
  modelKey: string;
  modelId: string;
  /** The catalog the model is looked up in (the shipped rows and the config's `models:`). */
  catalog: ModelCatalog;
}

/**
 * The catalog row of the configured model; a config error when there is none (saying how to add
 * one) or when the model is retired (naming its replacement), so no job ever pays for a call the
 * vendor can only refuse.
 */
export function requireModel(catalog: ModelCatalog, backend: string, key: string, id: string): CatalogModel {
  const found = catalog.find(backend, id);
  if (!found) throw new GenerationError(backend, 'config', missingRowMessage(catalog, backend, key, id));
  const verdict = lifecycleVerdict(found, key);
  if (verdict?.level === 'error') throw new GenerationError(backend, 'config', `${key} ${verdict.message}`);
  return found;
}

export abstract class RemoteVideoBackend<S extends RemoteSection> implements VideoGenerator {
  readonly id: string;
  protected readonly model: CatalogModel;
  readonly configuredModel: ConfiguredModel;
  protected readonly client: VendorClient;
  /** The API key, for a vendor SDK that takes it itself. */
  protected readonly key: string;
  private readonly sectionName: string;

  constructor(
    spec: RemoteBackendSpec,
    protected readonly section: S,
    protected readonly settings: RemoteSettings,
  ) {
    this.id = spec.backend;
    this.sectionName = spec.sectionName;
    this.key = requireKey(spec.backend, `${spec.sectionName}.api_key`, section.api_key);
    const key = `${spec.sectionName}.${spec.modelKey}`;
    this.model = requireModel(spec.catalog, spec.backend, key, spec.modelId);
    this.configuredModel = { key, row: this.model };
    this.client = new VendorClient({
      vendor: spec.backend,
      baseUrl: section.base_url,
      auth: spec.auth(this.key),
      retry: settings,
    });
  }

  capabilities(): GeneratorCapabilities {
    return summarize(this.model, this.section.max_duration);
  }

  validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    return modelRequestProblems(request, this.model, {
      maxDuration: { seconds: this.section.max_duration, key: `${this.sectionName}.max_duration` },
    });
  }

  estimateCost(durationSeconds: number): number {
    return durationSeconds * this.model.usd_per_second;
  }

  abstract generate(request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult>;
}
