// Google Veo 3, on Vertex AI or the Gemini API.
// Vertex AI (a service account): POST …/publishers/google/models/{model}:predictLongRunning starts
// an operation, POST …:fetchPredictOperation polls it; the clip comes back inline
// (bytesBase64Encoded) or, when google_veo.output_bucket is set, as a gs:// object written to
// storageUri, fetched through the Cloud Storage JSON API with the same token.
// Gemini API (google_veo.api_key): POST /v1beta/models/{model}:predictLongRunning, GET
// /v1beta/{operation} polls, the sample's video.uri is downloaded with the key, and
// POST /v1beta/{operation}:cancel stops an operation the job no longer wants.
// Unlike the Python original, duration, aspect ratio and model are sent, and polling has a deadline.
// What each model renders is its row in capabilities/veo-models.ts. generateAudio is sent on
// Vertex AI only: the Gemini API refuses it (@google/genai's Gemini converter throws on it).
import { writeFile } from 'node:fs/promises';
import type { AppConfig } from '../../config/schema.js';
import { GenerationError } from '../../errors/generation-error.js';
import type { GenerateHooks, GenerateRequest, GeneratorCapabilities, VideoGenerator } from '../types.js';
import { downloadOptions, downloadVideo, hostsOf } from '../remote/download-video.js';
import { modelRequestProblems, summarize } from '../capabilities/model-request-problems.js';
import { VEO_MODELS, veoModel } from '../capabilities/veo-models.js';
import type { ModelCapabilities } from '../capabilities/model-capabilities.js';
import { readImage } from '../remote/image-data-uri.js';
import { pollTask } from '../remote/poll-task.js';
import { remoteSettings, type RemoteSettings } from '../remote/remote-settings.js';
import { abandonsTask, callVendor, cancelVendorTask } from '../remote/vendor-task.js';
import { ServiceAccountToken } from './service-account-token.js';

interface Operation {
  name?: string;
  done?: boolean;
  error?: { code?: number; message?: string };
  response?: {
    raiMediaFilteredCount?: number;
    raiMediaFilteredReasons?: string[];
    videos?: { gcsUri?: string; bytesBase64Encoded?: string; mimeType?: string }[];
    generateVideoResponse?: {
      generatedSamples?: { video?: { uri?: string } }[];
      raiMediaFilteredCount?: number;
      raiMediaFilteredReasons?: string[];
    };
  };
}

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
  private readonly settings: RemoteSettings;
  private readonly section: AppConfig['google_veo'];
  private readonly oauth: ServiceAccountToken | null;
  private readonly model: ModelCapabilities;

  constructor(config: AppConfig) {
    this.section = config.google_veo;
    this.settings = remoteSettings(config);
    const model = veoModel(this.section.veo_model);
    if (!model) throw new GenerationError('veo3', 'config', `google_veo.veo_model "${this.section.veo_model}" is not a Veo model ttv has a capability row for (${VEO_MODELS.map((m) => m.id).join(', ')})`);
    this.model = model;
    if (this.section.api_key && this.section.generate_audio !== undefined) {
      throw new GenerationError('veo3', 'config', 'google_veo.generate_audio is a Vertex AI parameter; the Gemini API (google_veo.api_key) refuses it');
    }
    if (this.section.api_key) {
      this.oauth = null;
    } else {
      if (!this.section.project_id) throw new GenerationError('veo3', 'config', 'google_veo.project_id is required for Vertex AI (or set google_veo.api_key for the Gemini API)');
      this.oauth = new ServiceAccountToken(this.section.credentials_path);
    }
  }

  capabilities(): GeneratorCapabilities {
    return summarize(this.model, this.section.max_duration);
  }

  validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    return modelRequestProblems(request, this.model, { maxDuration: { seconds: this.section.max_duration, key: 'google_veo.max_duration' } });
  }

  estimateCost(durationSeconds: number): number {
    return durationSeconds * this.model.usdPerSecond;
  }

  private vertexModelUrl(): string {
    const region = this.section.region;
    const host = this.section.api_endpoint ?? (region === 'global' ? 'https://aiplatform.googleapis.com' : `https://${region}-aiplatform.googleapis.com`);
    return `${host.replace(/\/+$/, '')}/v1/projects/${encodeURIComponent(this.section.project_id!)}/locations/${encodeURIComponent(region)}/publishers/google/models/${encodeURIComponent(this.section.veo_model)}`;
  }

  private geminiBase(): string {
    return this.section.gemini_base_url.replace(/\/+$/, '');
  }

  private async headers(hooks: GenerateHooks): Promise<Record<string, string>> {
    if (!this.oauth) return { 'x-goog-api-key': this.section.api_key!, 'content-type': 'application/json' };
    const token = await this.oauth.token(hooks.signal, this.settings.maxRetries, this.settings.retryBaseMs, hooks.log);
    return { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<string> {
    const { signal, log } = hooks;
    const problems = this.validate(request);
    if (problems.length) throw new GenerationError('veo3', 'invalid', problems.join('; '));
    const vertex = this.oauth !== null;
    const instance: Record<string, unknown> = { prompt: request.prompt };
    // Both APIs take image bytes as bytesBase64Encoded (the SDK's imageToVertex / imageToMldev).
    const image = async (path: string) => {
      const { bytes, mimeType } = await readImage(path);
      return { bytesBase64Encoded: bytes.toString('base64'), mimeType };
    };
    if (request.firstFrame) instance.image = await image(request.firstFrame);
    if (request.firstFrame && request.lastFrame && this.model.firstLast) instance.lastFrame = await image(request.lastFrame);
    const parameters: Record<string, unknown> = {
      aspectRatio: request.aspectRatio ?? '16:9',
      durationSeconds: request.durationSeconds,
      sampleCount: 1,
    };
    if (vertex && this.section.generate_audio !== undefined) parameters.generateAudio = this.section.generate_audio;
    if (vertex && this.section.output_bucket) parameters.storageUri = `gs://${this.section.output_bucket}/ttv/${Date.now()}-segment-${request.segment}/`;
    const deadline = Date.now() + this.settings.timeoutMs;
    const call = { vendor: 'veo3', settings: this.settings, signal, log };
    const submitUrl = vertex ? `${this.vertexModelUrl()}:predictLongRunning` : `${this.geminiBase()}/v1beta/models/${encodeURIComponent(this.section.veo_model)}:predictLongRunning`;
    const started = await callVendor<Operation>(submitUrl, { method: 'POST', headers: await this.headers(hooks), body: JSON.stringify({ instances: [instance], parameters }) }, call);
    if (!started?.name) throw new GenerationError('veo3', 'failed', 'predictLongRunning answered without an operation name');
    const name = started.name;
    log?.(`veo3: operation ${name.split('/').pop()} started (${this.section.veo_model}, ${String(parameters.durationSeconds)} s, ${vertex ? 'Vertex AI' : 'Gemini API'})`);
    try {
      const op = await pollTask<Operation>(async () => {
        const o = vertex
          ? await callVendor<Operation>(`${this.vertexModelUrl()}:fetchPredictOperation`, { method: 'POST', headers: await this.headers(hooks), body: JSON.stringify({ operationName: name }) }, call)
          : await callVendor<Operation>(`${this.geminiBase()}/v1beta/${name}`, { headers: await this.headers(hooks) }, call);
        return o.done ? { done: true, value: o } : { done: false };
      }, { backend: 'veo3', taskId: name.split('/').pop() ?? name, intervalMs: this.settings.pollIntervalMs, deadline, signal });
      await this.save(op, request.outputPath, hooks);
      return request.outputPath;
    } catch (err) {
      if (!vertex && abandonsTask(err, signal)) {
        await cancelVendorTask(`${this.geminiBase()}/v1beta/${name}:cancel`, { method: 'POST', headers: await this.headers(hooks) }, 'veo3', name.split('/').pop() ?? name, log);
      }
      throw err;
    }
  }

  private async save(op: Operation, outputPath: string, hooks: GenerateHooks): Promise<void> {
    const id = op.name?.split('/').pop() ?? 'operation';
    if (op.error) throw new GenerationError('veo3', 'failed', `operation ${id} failed: ${op.error.message ?? 'no reason given'} (code ${op.error.code ?? '?'})`);
    const vertexVideo = op.response?.videos?.[0];
    const gemini = op.response?.generateVideoResponse;
    const filtered = op.response?.raiMediaFilteredCount ?? gemini?.raiMediaFilteredCount ?? 0;
    const reasons = op.response?.raiMediaFilteredReasons ?? gemini?.raiMediaFilteredReasons ?? [];
    const geminiUri = gemini?.generatedSamples?.[0]?.video?.uri;
    if (!vertexVideo && !geminiUri) {
      if (filtered > 0) throw new GenerationError('veo3', 'refused', `operation ${id}: the clip was withheld by safety filters${reasons.length ? ` (${reasons.join('; ').slice(0, 200)})` : ''}`);
      throw new GenerationError('veo3', 'no-output', `operation ${id} finished without a video`);
    }
    const download = downloadOptions('veo3', this.settings, hooks, hostsOf(this.section.gemini_base_url, this.section.storage_endpoint, this.section.api_endpoint));
    if (geminiUri) {
      const fileId = geminiFileId(geminiUri);
      if (!fileId) throw new GenerationError('veo3', 'no-output', `operation ${id} returned a video URI that is not a Gemini file`);
      await downloadVideo(`${this.geminiBase()}/v1beta/files/${fileId}:download?alt=media`, outputPath, { ...download, headers: { 'x-goog-api-key': this.section.api_key! } });
    } else if (vertexVideo?.bytesBase64Encoded) {
      const bytes = Buffer.from(vertexVideo.bytesBase64Encoded, 'base64');
      if (bytes.length === 0 || bytes.length > this.settings.maxDownloadBytes) throw new GenerationError('veo3', 'download', `operation ${id} returned a clip of ${bytes.length} bytes`);
      await writeFile(outputPath, bytes);
    } else if (vertexVideo?.gcsUri) {
      const match = /^gs:\/\/([^/]+)\/(.+)$/.exec(vertexVideo.gcsUri);
      if (!match) throw new GenerationError('veo3', 'no-output', `operation ${id} returned an invalid gcsUri`);
      const url = `${this.section.storage_endpoint.replace(/\/+$/, '')}/storage/v1/b/${encodeURIComponent(match[1]!)}/o/${encodeURIComponent(match[2]!)}?alt=media`;
      const { authorization } = await this.headers(hooks);
      await downloadVideo(url, outputPath, { ...download, headers: { authorization: authorization! } });
    } else {
      throw new GenerationError('veo3', 'no-output', `operation ${id} returned a video without bytes or gcsUri`);
    }
  }
}
