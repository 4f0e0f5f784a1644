// What the keyed remote backends (Runway, MiniMax, fal) share: each takes its own config section
// and the shared remote settings, needs its key, has a capability row for its configured model,
// and reaches its vendor through one VendorClient on the section's base_url. Their capabilities,
// request checks and list price follow from the row and the section's max_duration.
import { GenerationError } from '../../errors/generation-error.js';
import { VendorClient } from '../../http/vendor-client/vendor-client.js';
import type { GenerateHooks, GenerateRequest, GenerateResult, GeneratorCapabilities, VideoGenerator } from '../types.js';
import type { ModelCapabilities } from '../capabilities/model-capabilities.js';
import { modelRequestProblems, summarize } from '../capabilities/model-request-problems.js';
import { requireKey } from './require-key.js';
import type { RemoteSettings } from './remote-settings.js';

/** The part of a backend's config section the shared code reads. */
export interface RemoteSection {
  api_key?: string;
  base_url: string;
  max_duration: number;
}

export interface RemoteBackendSpec<M> {
  backend: string;
  /** The section's name in the config ("runway_ml"), for the keys named in errors. */
  sectionName: string;
  /** The auth headers for the key. */
  auth: (key: string) => Record<string, string>;
  /** The capability row of the configured model, if ttv has one. */
  model: M | undefined;
  /** Why the configured model cannot be used; the rows' ids are appended. */
  unknownModel: string;
  rows: readonly M[];
}

/** The backend's capability row for the configured model, or a config error naming the choices. */
export function requireModel<M extends { id: string }>(backend: string, found: M | undefined, rows: readonly M[], problem: string): M {
  if (!found) throw new GenerationError(backend, 'config', `${problem} (${rows.map((m) => m.id).join(', ')})`);
  return found;
}

export abstract class RemoteVideoBackend<M extends ModelCapabilities, S extends RemoteSection> implements VideoGenerator {
  readonly id: string;
  protected readonly model: M;
  protected readonly client: VendorClient;
  /** The API key, for a vendor SDK that takes it itself. */
  protected readonly key: string;
  private readonly sectionName: string;

  constructor(spec: RemoteBackendSpec<M>, protected readonly section: S, protected readonly settings: RemoteSettings) {
    this.id = spec.backend;
    this.sectionName = spec.sectionName;
    this.key = requireKey(spec.backend, `${spec.sectionName}.api_key`, section.api_key);
    this.model = requireModel(spec.backend, spec.model, spec.rows, spec.unknownModel);
    this.client = new VendorClient({ vendor: spec.backend, baseUrl: section.base_url, auth: spec.auth(this.key), retry: settings });
  }

  capabilities(): GeneratorCapabilities {
    return summarize(this.model, this.section.max_duration);
  }

  validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    return modelRequestProblems(request, this.model, { maxDuration: { seconds: this.section.max_duration, key: `${this.sectionName}.max_duration` } });
  }

  estimateCost(durationSeconds: number): number {
    return durationSeconds * this.model.usdPerSecond;
  }

  abstract generate(request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult>;
}
