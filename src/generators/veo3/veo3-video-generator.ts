// Google video (backend veo3, section google_veo): Veo and Gemini Omni, on Vertex AI (a service
// account: project_id + credentials_path) or the Gemini API (api_key). The configured model's
// catalog row names the API that serves it and how it is called:
// - vertex-predict / gemini-predict: Veo's predictLongRunning operations (veo-operation.ts);
// - gemini-interactions / vertex-interactions: the Interactions API, Gemini Omni (omni-interaction.ts).
// A model the configured API does not serve is a config error naming what to change, before any
// paid call. Every call goes through the official @google/genai under ttv's retry policy
// (google-genai-session.ts); ttv keeps its own parts where the SDK lacks them: the service-account
// token, polling with a deadline and the job's signal, and the streamed, size-checked download
// (google-video-file.ts).
// The operation or interaction is recorded before its first poll, so a later attempt (any process)
// re-attaches to it instead of paying for another. Cancel: an interaction has one (the SDK's
// interactions.cancel, "background interactions that are still running"); a Veo operation has none
// that Google documents (neither Vertex's publisher-model operations nor the Gemini API's
// models.operations list a cancel; the SDK has none for video operations), so an abandoned one keeps
// running and the job log says what it may still bill.
// A 404 at creation means Google does not serve the model (any more): final, not retried, and
// reported as a config error naming the catalog's replacement, not as the vendor's raw answer.
import type { AppConfig } from '../../config/schema.js';
import { GenerationError } from '../../errors/generation-error.js';
import { VendorError } from '../../errors/vendor-error.js';
import type {
  ConfiguredModel,
  GenerateHooks,
  GenerateRequest,
  GenerateResult,
  GeneratorCapabilities,
  VendorTaskRecord,
  VideoGenerator,
} from '../types.js';
import { TaskGoneError } from '../../errors/task-gone-error.js';
import { hostsOf } from '../remote/download-video.js';
import { modelRequestProblems, summarize } from '../remote/model-request-problems.js';
import { ModelCatalog, shippedCatalog, type CatalogModel } from '../../catalog/model-catalog.js';
import { readImage } from '../remote/image-data-uri.js';
import { DEFAULT_POLL_FLOOR, pollInterval, raisedIntervalLine, type PollFloor } from '../remote/poll-floor.js';
import type { RemoteSettings } from '../remote/remote-settings.js';
import { abandonsTask, cannotStopMessage, recordTaskOrCancel } from '../remote/vendor-task.js';
import { requireModel } from '../remote/remote-video-backend.js';
import { VendorClient } from '../../http/vendor-client/vendor-client.js';
import { ServiceAccountToken } from './service-account-token.js';
import { trimTrailingSlashes } from '../../text/base-url.js';
import { googleGenAiSession, loadGenAi, type GoogleApi, type GoogleGenAiSession } from './google-genai-session.js';
import { saveGoogleVideo, type GoogleVideo, type GoogleVideoAccess } from './google-video-file.js';
import { awaitVeoVideo, startVeoOperation, type VeoClip } from './veo-operation.js';
import { awaitVideo, endInteraction, startInteraction, type OmniClip, type PollSettings } from './omni-interaction.js';

export { geminiFileId } from './google-video-file.js';

/** The protocols this backend speaks, by the catalog's names: which API, and which call. */
const PROTOCOLS = {
  'vertex-predict': { api: 'vertex', call: 'predict' },
  'gemini-predict': { api: 'gemini', call: 'predict' },
  'vertex-interactions': { api: 'vertex', call: 'interactions' },
  'gemini-interactions': { api: 'gemini', call: 'interactions' },
} as const;
type Protocol = (typeof PROTOCOLS)[keyof typeof PROTOCOLS];

const API_NAME = { vertex: 'Vertex AI', gemini: 'the Gemini API' } as const;

/** The catalog with only the veo3 rows one API serves. */
function onApi(catalog: ModelCatalog, api: 'vertex' | 'gemini'): ModelCatalog {
  return new ModelCatalog(
    catalog.all().filter((r) => r.backend !== 'veo3' || PROTOCOLS[r.protocol as keyof typeof PROTOCOLS]?.api === api),
  );
}
const MODEL_KEY = 'google_veo.veo_model';

/**
 * Google documents no polling cadence for Veo's long-running operations or Gemini Omni's
 * interactions (its Veo samples sleep 10 s between polls, read 2026-12-05): ttv's default floor.
 */
export const VEO_POLL_FLOOR: PollFloor = DEFAULT_POLL_FLOOR;

export class Veo3VideoGenerator implements VideoGenerator {
  readonly pollFloor: PollFloor = VEO_POLL_FLOOR;
  readonly id = 'veo3';
  readonly configuredModel: ConfiguredModel;
  private readonly model: CatalogModel;
  private readonly protocol: Protocol;
  private readonly api: GoogleApi;
  private readonly oauth: ServiceAccountToken | null;
  /** On the Vertex AI host or the Gemini API base, whichever this section configures. */
  private readonly client: VendorClient;

  constructor(
    private readonly section: AppConfig['google_veo'],
    private readonly settings: RemoteSettings,
    catalog: ModelCatalog = shippedCatalog(),
  ) {
    const configured = section.api_key ? 'gemini' : 'vertex';
    // A model without a row is told the rows of the API this section is set up for (and one of them as the example to copy).
    this.model =
      catalog.find('veo3', section.veo_model) ??
      requireModel(onApi(catalog, configured), 'veo3', MODEL_KEY, section.veo_model);
    this.configuredModel = { key: MODEL_KEY, row: this.model };
    const protocol = PROTOCOLS[this.model.protocol as keyof typeof PROTOCOLS];
    if (!protocol)
      throw this.configError(
        `${MODEL_KEY} "${this.model.id}" is catalogued with protocol ${this.model.protocol}, which the veo3 backend does not speak (${Object.keys(PROTOCOLS).join(', ')})`,
      );
    this.protocol = protocol;
    if (protocol.api !== configured) throw this.configError(this.wrongApi(configured));
    if (section.generate_audio !== undefined) {
      if (configured === 'gemini')
        throw this.configError(
          'google_veo.generate_audio is a Vertex AI parameter; the Gemini API (google_veo.api_key) refuses it',
        );
      if (protocol.call === 'interactions')
        throw this.configError(
          `google_veo.generate_audio has no Interactions API field: ${this.model.id} renders its audio itself`,
        );
    }
    if (section.resolution !== undefined && !(this.model.resolutions ?? []).includes(section.resolution)) {
      const offered = this.model.resolutions?.length
        ? `renders ${this.model.resolutions.join(', ')}`
        : 'has no resolution choice';
      throw this.configError(`google_veo.resolution "${section.resolution}": ${this.model.id} ${offered}`);
    }
    if (configured === 'gemini') {
      this.oauth = null;
      this.api = { kind: 'gemini', base: trimTrailingSlashes(section.gemini_base_url), apiKey: section.api_key! };
    } else {
      if (!section.project_id)
        throw this.configError(
          'google_veo.project_id is required for Vertex AI (or set google_veo.api_key for the Gemini API)',
        );
      this.oauth = new ServiceAccountToken(section.credentials_path);
      this.api = {
        kind: 'vertex',
        host: this.vertexHost(),
        project: section.project_id,
        location: section.region,
        oauth: this.oauth,
      };
    }
    this.client = new VendorClient({
      vendor: 'veo3',
      baseUrl: this.api.kind === 'vertex' ? this.api.host : this.api.base,
      auth: section.api_key ? { 'x-goog-api-key': section.api_key } : undefined,
      retry: settings,
    });
  }

  private configError(message: string): GenerationError {
    return new GenerationError('veo3', 'config', message);
  }

  /** Why the configured model cannot be reached with the configured credentials, and what to change. */
  private wrongApi(configured: 'vertex' | 'gemini'): string {
    const served = API_NAME[this.protocol.api];
    const change =
      this.protocol.api === 'gemini'
        ? 'set google_veo.api_key (a Gemini API key)'
        : 'remove google_veo.api_key and set google_veo.project_id and credentials_path (a service account)';
    const instead =
      configured === 'gemini'
        ? `; ${API_NAME.gemini} serves gemini-omni-1.1-flash`
        : '; Vertex AI serves veo-3.1-generate-001';
    return `${MODEL_KEY} "${this.model.id}" is served by ${served}, not by ${API_NAME[configured]} this section is set up for: ${change}${instead}`;
  }

  capabilities(): GeneratorCapabilities {
    return summarize(this.model, this.section.max_duration);
  }

  validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    const cap = this.section.max_duration;
    return modelRequestProblems(
      request,
      this.model,
      cap === undefined ? {} : { maxDuration: { seconds: cap, key: 'google_veo.max_duration' } },
    );
  }

  estimateCost(durationSeconds: number): number {
    return durationSeconds * this.model.usd_per_second;
  }

  private vertexHost(): string {
    const region = this.section.region;
    const host =
      this.section.api_endpoint ??
      (region === 'global' ? 'https://aiplatform.googleapis.com' : `https://${region}-aiplatform.googleapis.com`);
    return trimTrailingSlashes(host);
  }

  private videoAccess(): GoogleVideoAccess {
    return {
      geminiBase: this.section.gemini_base_url,
      apiKey: this.section.api_key,
      storageEndpoint: this.section.storage_endpoint,
      oauth: this.oauth,
      trustedHosts: hostsOf(this.section.gemini_base_url, this.section.storage_endpoint, this.section.api_endpoint),
    };
  }

  private pollSettings(hooks: GenerateHooks, deadline: number): PollSettings {
    const interval = pollInterval(this.settings, this.pollFloor);
    if (interval.raised) hooks.log?.(raisedIntervalLine('veo3', this.settings, this.pollFloor));
    return { intervalMs: interval.ms, deadline, signal: hooks.signal };
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    const problems = this.validate(request);
    if (problems.length) throw new GenerationError('veo3', 'invalid', problems.join('; '));
    const poll = this.pollSettings(hooks, Date.now() + this.settings.timeoutMs);
    const session = await googleGenAiSession(this.api, this.client, this.settings, hooks);
    const task =
      this.protocol.call === 'interactions'
        ? await this.interact(session, request, hooks)
        : await this.predict(session, request, hooks);
    await recordTaskOrCancel(task, hooks, this);
    return this.follow(session, task, request, poll, hooks, false);
  }

  /** Re-attaches to an operation or interaction created earlier (by any process): polls it, no create. */
  async resume(task: VendorTaskRecord, request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    hooks.log?.(
      `veo3: re-attached to ${this.kindOf(task)} ${task.taskId} created at ${task.createdAt} by an earlier attempt`,
    );
    const poll = this.pollSettings(hooks, Date.parse(task.createdAt) + this.settings.timeoutMs);
    return this.follow(
      await googleGenAiSession(this.api, this.client, this.settings, hooks),
      task,
      request,
      poll,
      hooks,
      true,
    );
  }

  /**
   * An interaction is cancelled and deleted; a Veo operation has no cancel Google documents, so the
   * job log says it keeps running and what it may still bill.
   */
  async cancelTask(task: VendorTaskRecord, log?: (message: string) => void): Promise<void> {
    if (this.kindOf(task) === 'operation') {
      log?.(cannotStopMessage(task, this, 'Google documents no cancel for Veo operations'));
      return;
    }
    // Its own session: the job's signal may have fired (each call has its own short deadline).
    const session = await googleGenAiSession(this.api, this.client, this.settings, {
      signal: new AbortController().signal,
      log,
    });
    await endInteraction(session.ai, task.taskId, true, log);
  }

  private kindOf(task: VendorTaskRecord): 'operation' | 'interaction' {
    const call = task.handles?.call ?? this.protocol.call;
    return call === 'interactions' ? 'interaction' : 'operation';
  }

  /** Polls the task to its end and saves its clip; an abandoned one is cancelled where Google can. */
  private async follow(
    session: GoogleGenAiSession,
    task: VendorTaskRecord,
    request: GenerateRequest,
    poll: PollSettings,
    hooks: GenerateHooks,
    resumed: boolean,
  ): Promise<GenerateResult> {
    const interaction = this.kindOf(task) === 'interaction';
    const what = `${this.kindOf(task)} ${task.taskId}`;
    let video: GoogleVideo;
    try {
      if (interaction) {
        const block = await awaitVideo(session.run, task.taskId, poll);
        video = { base64: block.data, uri: block.uri };
      } else {
        const operation = new (await loadGenAi()).GenerateVideosOperation();
        operation.name = task.handles?.name ?? task.taskId;
        video = await awaitVeoVideo(session.run, operation, task.taskId, poll);
      }
    } catch (err) {
      // A re-attached task Google no longer knows: a new one may be made.
      if (resumed && err instanceof VendorError && err.vendor === 'veo3' && err.status === 404)
        throw new TaskGoneError('veo3', task.taskId);
      if (abandonsTask(err, hooks.signal)) await this.cancelTask(task, hooks.log);
      else if (interaction) await endInteraction(session.ai, task.taskId, false, hooks.log);
      throw err;
    }
    try {
      await saveGoogleVideo(video, what, request.outputPath, this.videoAccess(), this.settings, hooks);
    } finally {
      // Deleted once ttv holds the clip (or gave up on it): after the download, so a URI stays valid for it.
      if (interaction) await endInteraction(session.ai, task.taskId, false, hooks.log);
    }
    return { path: request.outputPath, costUsd: this.estimateCost(request.durationSeconds) };
  }

  /** A creation call; a 404 means Google does not serve the model: a config error, never retried. */
  private async create<T>(start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (err) {
      // (Only Google's own answer: a 404 of the token service is not about the model.)
      if (err instanceof VendorError && err.vendor === 'veo3' && err.status === 404) throw this.notServed(err);
      throw err;
    }
  }

  private notServed(err: VendorError): GenerationError {
    const api = API_NAME[this.protocol.api];
    const said = (err.body as { error?: { message?: unknown } } | null)?.error?.message;
    const gone = /no longer available/i.test(typeof said === 'string' ? said : err.reason);
    const replacement =
      this.model.lifecycle.replacement ?? shippedCatalog().find('veo3', this.model.id)?.lifecycle.replacement;
    const instead = replacement ? `; its replacement is ${replacement} (set ${MODEL_KEY}: ${replacement})` : '';
    const what = gone
      ? `${this.model.id} is no longer available on ${api}: Google has shut it down`
      : `${api} does not serve ${this.model.id}`;
    return new GenerationError('veo3', 'config', `${what} (HTTP 404)${instead}`, false, { cause: err });
  }

  private async image(path: string): Promise<{ base64: string; mimeType: string }> {
    const { bytes, mimeType } = await readImage(path);
    return { base64: bytes.toString('base64'), mimeType };
  }

  private async predict(
    session: GoogleGenAiSession,
    request: GenerateRequest,
    hooks: GenerateHooks,
  ): Promise<VendorTaskRecord> {
    const vertex = this.api.kind === 'vertex';
    const frame = async (path: string) => {
      const { base64, mimeType } = await this.image(path);
      return { imageBytes: base64, mimeType };
    };
    const clip: VeoClip = {
      model: this.model.id,
      prompt: request.prompt,
      durationSeconds: request.durationSeconds,
      aspectRatio: request.aspectRatio ?? '16:9',
      resolution: this.section.resolution,
      firstFrame: request.firstFrame ? await frame(request.firstFrame) : undefined,
      lastFrame:
        request.firstFrame && request.lastFrame && this.model.modes.first_last
          ? await frame(request.lastFrame)
          : undefined,
      // Vertex-only parameters: the SDK refuses them on the Gemini API.
      generateAudio: vertex ? this.section.generate_audio : undefined,
      outputGcsUri:
        vertex && this.section.output_bucket
          ? `gs://${this.section.output_bucket}/ttv/${Date.now()}-segment-${request.segment}/`
          : undefined,
    };
    await hooks.task?.sending?.('veo3', this.model.id);
    const started = await this.create(() => startVeoOperation(session.runCreate, clip));
    const id = started.name.split('/').pop() ?? started.name;
    hooks.log?.(
      `veo3: operation ${id} started (${this.model.id}, ${request.durationSeconds} s, ${vertex ? 'Vertex AI' : 'Gemini API'})`,
    );
    return {
      backend: 'veo3',
      model: this.model.id,
      taskId: id,
      createdAt: new Date().toISOString(),
      handles: { call: 'predict', name: started.name },
    };
  }

  private async interact(
    session: GoogleGenAiSession,
    request: GenerateRequest,
    hooks: GenerateHooks,
  ): Promise<VendorTaskRecord> {
    const frame = request.firstFrame ? await this.image(request.firstFrame) : undefined;
    const clip: OmniClip = {
      model: this.model.id,
      prompt: request.prompt,
      durationSeconds: request.durationSeconds,
      aspectRatio: request.aspectRatio ?? '16:9',
      resolution: this.section.resolution,
      // The Interactions types give an image no first/last role, so only the first frame is sent.
      firstFrame: frame ? { data: frame.base64, mimeType: frame.mimeType } : undefined,
      gcsUri:
        this.api.kind === 'vertex' && this.section.output_bucket
          ? `gs://${this.section.output_bucket}/ttv/${Date.now()}-segment-${request.segment}/`
          : undefined,
    };
    await hooks.task?.sending?.('veo3', this.model.id);
    const id = await this.create(() => startInteraction(session.runCreate, clip));
    hooks.log?.(
      `veo3: interaction ${id} started (${this.model.id}, ${request.durationSeconds} s, ${API_NAME[this.protocol.api]})`,
    );
    return {
      backend: 'veo3',
      model: this.model.id,
      taskId: id,
      createdAt: new Date().toISOString(),
      handles: { call: 'interactions' },
    };
  }
}
