// Google Veo 3, on Vertex AI or the Gemini API.
// Vertex AI (a service account): POST …/publishers/google/models/{model}:predictLongRunning starts
// an operation, POST …:fetchPredictOperation polls it; the clip comes back inline
// (bytesBase64Encoded) or, when google_veo.output_bucket is set, as a gs:// object written to
// storageUri, fetched through the Cloud Storage JSON API with the same token.
// Gemini API (google_veo.api_key): POST /v1beta/models/{model}:predictLongRunning, GET
// /v1beta/{operation} polls, the sample's video.uri is downloaded with the key, and
// POST /v1beta/{operation}:cancel stops an operation the job no longer wants.
// The calls go through the official @google/genai (models.generateVideos,
// operations.getVideosOperation; Vertex on the SDK's default v1beta1). ttv keeps its own parts
// where the SDK lacks them: the service-account token (handed to the SDK as its auth client),
// retries with job-log lines (the SDK retries nothing unless told), polling with a deadline and the
// job's signal, the Gemini cancel (no SDK call for it), and the streamed, size-checked download.
// Duration, aspect ratio and model are always sent.
// What each model renders is its catalog row (src/catalog/vendors/google-vertex.json, gemini-api.json). generateAudio is sent on
// Vertex AI only: the Gemini API refuses it (@google/genai's Gemini converter throws on it).
import { writeFile } from 'node:fs/promises';
import type { AppConfig } from '../../config/schema.js';
import { GenerationError } from '../../errors/generation-error.js';
import type { ConfiguredModel, GenerateHooks, GenerateRequest, GenerateResult, GeneratorCapabilities, VideoGenerator } from '../types.js';
import { downloadOptions, downloadVideo, hostsOf } from '../remote/download-video.js';
import { modelRequestProblems, summarize } from '../remote/model-request-problems.js';
import { shippedCatalog, type CatalogModel, type ModelCatalog } from '../../catalog/model-catalog.js';
import { readImage } from '../remote/image-data-uri.js';
import { pollTask } from '../remote/poll-task.js';
import type { RemoteSettings } from '../remote/remote-settings.js';
import { abandonsTask } from '../remote/vendor-task.js';
import { requireModel } from '../remote/remote-video-backend.js';
import { VendorClient, type SdkFailure } from '../../http/vendor-client/vendor-client.js';
import { ApiError, GoogleGenAI, type GenerateVideosConfig, type GenerateVideosOperation, type GenerateVideosParameters } from '@google/genai';
import { ServiceAccountToken } from './service-account-token.js';
import { trimTrailingSlashes } from '../../http/base-url.js';

/**
 * The file id of a Gemini file URI (https://…/v1beta/files/{id}:download?alt=media), read the way
 * @google/genai reads it (tFileName: the first [a-z0-9]+ after "files/"): the clip is then fetched
 * from google_veo.gemini_base_url, as the SDK does, whatever host the URI names.
 */
export function geminiFileId(uri: string): string | null {
  if (!uri.startsWith('https://')) return null;
  const match = /[a-z0-9]+/.exec(uri.split('files/')[1] ?? '');
  return match ? match[0] : null;
}

export class Veo3VideoGenerator implements VideoGenerator {
  readonly id = 'veo3';
  private readonly oauth: ServiceAccountToken | null;
  private readonly model: CatalogModel;
  readonly configuredModel: ConfiguredModel;
  /** On the Vertex AI host or the Gemini API base, whichever this section configures. */
  private readonly client: VendorClient;

  constructor(private readonly section: AppConfig['google_veo'], private readonly settings: RemoteSettings, catalog: ModelCatalog = shippedCatalog()) {
    this.model = requireModel(catalog, 'veo3', 'google_veo.veo_model', section.veo_model);
    this.configuredModel = { key: 'google_veo.veo_model', row: this.model };
    if (section.api_key && section.generate_audio !== undefined) {
      throw new GenerationError('veo3', 'config', 'google_veo.generate_audio is a Vertex AI parameter; the Gemini API (google_veo.api_key) refuses it');
    }
    if (section.api_key) {
      this.oauth = null;
    } else {
      if (!section.project_id) throw new GenerationError('veo3', 'config', 'google_veo.project_id is required for Vertex AI (or set google_veo.api_key for the Gemini API)');
      this.oauth = new ServiceAccountToken(section.credentials_path);
    }
    this.client = new VendorClient({
      vendor: 'veo3',
      baseUrl: this.oauth ? this.vertexHost() : this.geminiBase(),
      auth: section.api_key ? { 'x-goog-api-key': section.api_key } : undefined,
      retry: settings,
    });
  }

  capabilities(): GeneratorCapabilities {
    return summarize(this.model, this.section.max_duration);
  }

  validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    return modelRequestProblems(request, this.model, { maxDuration: { seconds: this.section.max_duration, key: 'google_veo.max_duration' } });
  }

  estimateCost(durationSeconds: number): number {
    return durationSeconds * this.model.usd_per_second;
  }

  private vertexHost(): string {
    const region = this.section.region;
    const host = this.section.api_endpoint ?? (region === 'global' ? 'https://aiplatform.googleapis.com' : `https://${region}-aiplatform.googleapis.com`);
    return trimTrailingSlashes(host);
  }

  private geminiBase(): string {
    return trimTrailingSlashes(this.section.gemini_base_url);
  }

  /** The SDK client for one clip; the last raw answer is kept for its Retry-After. */
  private session(hooks: GenerateHooks): { ai: GoogleGenAI; run: <T>(call: (ai: GoogleGenAI, signal: AbortSignal) => Promise<T>) => Promise<T> } {
    let last: Response | null = null;
    const fetchKeepingLast = async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
      last = await fetch(input, init);
      return last;
    };
    const oauth = this.oauth;
    const ai = oauth
      ? new GoogleGenAI({
        vertexai: true, project: this.section.project_id!, location: this.section.region,
        httpOptions: { baseUrl: this.vertexHost(), fetch: fetchKeepingLast },
        // ttv's own token (service-account JWT at the key file's token_uri, see service-account-token.ts).
        googleAuthOptions: { authClient: { getRequestHeaders: async () => new Headers({ authorization: `Bearer ${await oauth.token(hooks.signal, this.settings.maxRetries, this.settings.retryBaseMs, hooks.log)}` }) } as never },
      })
      : new GoogleGenAI({ apiKey: this.section.api_key!, httpOptions: { baseUrl: this.geminiBase(), fetch: fetchKeepingLast } });
    const classify = (err: unknown): SdkFailure | null => {
      if (err instanceof ApiError) {
        let body: unknown = null;
        try {
          body = JSON.parse(err.message);
        } catch {
          body = { message: err.message };
        }
        return { status: err.status, body, retryAfter: (last as Response | null)?.headers.get('retry-after') ?? null };
      }
      if (err instanceof TypeError) return { status: null };
      if ((err as Error)?.name === 'TimeoutError') return { status: null, timeout: true };
      return null;
    };
    const run = <T>(call: (a: GoogleGenAI, signal: AbortSignal) => Promise<T>) =>
      this.client.sdk((signal) => call(ai, signal), classify, { signal: hooks.signal, log: hooks.log });
    return { ai, run };
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    const { signal, log } = hooks;
    const problems = this.validate(request);
    if (problems.length) throw new GenerationError('veo3', 'invalid', problems.join('; '));
    const vertex = this.oauth !== null;
    const image = async (path: string) => {
      const { bytes, mimeType } = await readImage(path);
      return { imageBytes: bytes.toString('base64'), mimeType };
    };
    const config: GenerateVideosConfig = {
      aspectRatio: request.aspectRatio ?? '16:9',
      durationSeconds: request.durationSeconds,
      numberOfVideos: 1,
    };
    if (request.firstFrame && request.lastFrame && this.model.modes.first_last) config.lastFrame = await image(request.lastFrame);
    // Vertex-only parameters: the SDK refuses them on the Gemini API.
    if (vertex && this.section.generate_audio !== undefined) config.generateAudio = this.section.generate_audio;
    if (vertex && this.section.output_bucket) config.outputGcsUri = `gs://${this.section.output_bucket}/ttv/${Date.now()}-segment-${request.segment}/`;
    const params: GenerateVideosParameters = { model: this.model.id, prompt: request.prompt, config };
    if (request.firstFrame) params.image = await image(request.firstFrame);
    const deadline = Date.now() + this.settings.timeoutMs;
    const veo = this.session(hooks);
    const started = await veo.run((ai, s) => ai.models.generateVideos({ ...params, config: { ...config, abortSignal: s } }));
    if (!started?.name) throw new GenerationError('veo3', 'failed', 'predictLongRunning answered without an operation name');
    const name = started.name;
    const shortId = name.split('/').pop() ?? name;
    log?.(`veo3: operation ${shortId} started (${this.model.id}, ${request.durationSeconds} s, ${vertex ? 'Vertex AI' : 'Gemini API'})`);
    try {
      const op = await pollTask<GenerateVideosOperation>(async () => {
        const o = await veo.run((ai, s) => ai.operations.getVideosOperation({ operation: started, config: { abortSignal: s } }));
        return o.done ? { done: true, value: o } : { done: false };
      }, { backend: 'veo3', taskId: shortId, intervalMs: this.settings.pollIntervalMs, deadline, signal });
      await this.save(op, shortId, request.outputPath, hooks);
      return { path: request.outputPath, costUsd: this.estimateCost(request.durationSeconds) };
    } catch (err) {
      // The SDK has no cancel for video operations: the Gemini API's documented POST {name}:cancel.
      if (!vertex && abandonsTask(err, signal)) {
        await this.client.cancel(`/v1beta/${name}:cancel`, { method: 'POST' }, shortId, log);
      }
      throw err;
    }
  }

  private async save(op: GenerateVideosOperation, id: string, outputPath: string, hooks: GenerateHooks): Promise<void> {
    const error = op.error as { code?: number; message?: string } | undefined;
    if (error) throw new GenerationError('veo3', 'failed', `operation ${id} failed: ${error.message ?? 'no reason given'} (code ${error.code ?? '?'})`);
    const video = op.response?.generatedVideos?.[0]?.video;
    const filtered = op.response?.raiMediaFilteredCount ?? 0;
    const reasons = op.response?.raiMediaFilteredReasons ?? [];
    if (!video) {
      if (filtered > 0) throw new GenerationError('veo3', 'refused', `operation ${id}: the clip was withheld by safety filters${reasons.length ? ` (${reasons.join('; ').slice(0, 200)})` : ''}`);
      throw new GenerationError('veo3', 'no-output', `operation ${id} finished without a video`);
    }
    // ttv's streamed, size-checked download (the SDK's files.download buffers nothing but checks nothing either).
    const download = downloadOptions('veo3', this.settings, hooks, hostsOf(this.section.gemini_base_url, this.section.storage_endpoint, this.section.api_endpoint));
    if (video.videoBytes) {
      const bytes = Buffer.from(video.videoBytes, 'base64');
      if (bytes.length === 0 || bytes.length > this.settings.maxDownloadBytes) throw new GenerationError('veo3', 'download', `operation ${id} returned a clip of ${bytes.length} bytes`);
      await writeFile(outputPath, bytes, { mode: 0o600 });
    } else if (video.uri?.startsWith('gs://')) {
      const match = /^gs:\/\/([^/]+)\/(.+)$/.exec(video.uri);
      if (!match) throw new GenerationError('veo3', 'no-output', `operation ${id} returned an invalid gcsUri`);
      const url = `${trimTrailingSlashes(this.section.storage_endpoint)}/storage/v1/b/${encodeURIComponent(match[1]!)}/o/${encodeURIComponent(match[2]!)}?alt=media`;
      const token = await this.oauth!.token(hooks.signal, this.settings.maxRetries, this.settings.retryBaseMs, hooks.log);
      await downloadVideo(url, outputPath, { ...download, headers: { authorization: `Bearer ${token}` } });
    } else if (video.uri) {
      const fileId = geminiFileId(video.uri);
      if (!fileId) throw new GenerationError('veo3', 'no-output', `operation ${id} returned a video URI that is not a Gemini file`);
      await downloadVideo(`${this.geminiBase()}/v1beta/files/${fileId}:download?alt=media`, outputPath, { ...download, headers: { 'x-goog-api-key': this.section.api_key! } });
    } else {
      throw new GenerationError('veo3', 'no-output', `operation ${id} returned a video without bytes or a URI`);
    }
  }
}
