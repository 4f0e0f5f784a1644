// fal.ai through its queue API: POST {queue}/{model} submits and answers request_id with status,
// response and cancel URLs; the status URL is polled (IN_QUEUE → IN_PROGRESS → COMPLETED), the
// response URL gives the model's output, and PUT on the cancel URL stops a request the job no
// longer wants. The URLs fal returns are used as given: for models with a sub-path they drop it.
// Inputs are typed per model: many fal video models want `duration` as a string enum ("6").
import type { AppConfig } from '../../config/schema.js';
import { GenerationError } from '../../errors/generation-error.js';
import { VendorError } from '../../http/vendor-fetch.js';
import type { GenerateHooks, GenerateRequest, GeneratorCapabilities, VideoGenerator } from '../types.js';
import { downloadOptions, downloadVideo } from '../remote/download-video.js';
import { requestProblems } from '../request-problems.js';
import { requireKey } from '../remote/require-key.js';
import { imageDataUri } from '../remote/image-data-uri.js';
import { pollTask } from '../remote/poll-task.js';
import { remoteSettings, type RemoteSettings } from '../remote/remote-settings.js';
import { abandonsTask, callVendor, cancelVendorTask } from '../remote/vendor-task.js';

interface Submitted {
  request_id?: string;
  status_url?: string;
  response_url?: string;
  cancel_url?: string;
}

interface Status {
  status?: 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | string;
  queue_position?: number;
  error?: string | null;
  error_type?: string | null;
}

/** Response headers fal uses for request ids, timings and cost; copied into the job log. */
const METRIC_HEADERS = ['x-fal-request-id', 'x-queue-time', 'x-compute-time', 'x-generation-time', 'x-request-cost', 'x-total-cost', 'x-fal-billable-units'];

/** First http(s) URL in the output, preferring video-like keys (fal outputs differ per model). */
export function findVideoUrl(value: unknown): string | null {
  if (typeof value === 'string') return /^https?:\/\//.test(value) ? value : null;
  if (Array.isArray(value)) {
    for (const item of value) {
      const found = findVideoUrl(item);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    const preferred = ['video', 'video_url', 'url', 'file', 'output'];
    for (const key of [...preferred, ...Object.keys(record).filter((k) => !preferred.includes(k))]) {
      if (key in record) {
        const found = findVideoUrl(record[key]);
        if (found) return found;
      }
    }
  }
  return null;
}

/** Whether the model's schema types duration as a string enum. */
function durationAsString(model: string, configured: boolean | undefined): boolean {
  if (configured !== undefined) return configured;
  return /hailuo|minimax|kling|veo|pixverse|seedance/i.test(model);
}

export class FalVideoGenerator implements VideoGenerator {
  readonly id = 'fal';
  private readonly key: string;
  private readonly settings: RemoteSettings;
  private readonly section: AppConfig['fal'];

  constructor(config: AppConfig) {
    this.key = requireKey('fal', 'fal.api_key', config.fal.api_key);
    this.section = config.fal;
    this.settings = remoteSettings(config);
  }

  capabilities(): GeneratorCapabilities {
    const imageModel = /image-to-video|i2v/i.test(this.section.model);
    return {
      minDurationSeconds: 1,
      maxDurationSeconds: this.section.max_duration,
      textToVideo: !imageModel,
      imageToVideo: imageModel || !/text-to-video|t2v/i.test(this.section.model),
      firstLastFrame: false,
      maxPromptLength: 2000,
    };
  }

  validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    return requestProblems(request, this.capabilities(), 'fal.max_duration');
  }

  estimateCost(durationSeconds: number): number {
    return durationSeconds * this.section.cost_per_second;
  }

  private headers(): Record<string, string> {
    return { authorization: `Key ${this.key}`, 'content-type': 'application/json', accept: 'application/json' };
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<string> {
    const { signal, log } = hooks;
    const model = this.section.model.replace(/^\/+|\/+$/g, '');
    // Frames are only known now (validate runs at planning, before keyframes exist).
    if (!request.firstFrame && !this.capabilities().textToVideo) throw new GenerationError('fal', 'invalid', `model ${model} needs a first frame`);
    const seconds = Math.round(request.durationSeconds);
    const input: Record<string, unknown> = {
      ...this.section.default_input,
      prompt: request.prompt,
      duration: durationAsString(model, this.section.duration_as_string) ? String(seconds) : seconds,
    };
    if (request.firstFrame) input.image_url = await imageDataUri(request.firstFrame);
    const deadline = Date.now() + this.settings.timeoutMs;
    const call = { vendor: 'fal', settings: this.settings, signal, log };
    const submitted = await callVendor<Submitted>(`${this.section.base_url.replace(/\/+$/, '')}/${model}`, { method: 'POST', headers: this.headers(), body: JSON.stringify(input) }, call);
    if (!submitted?.request_id || !submitted.status_url || !submitted.response_url) {
      // A base_url of the synchronous endpoint (https://fal.run, the Python default) answers with the
      // output itself: accept it, so old configs keep working, but say the queue is better.
      const direct = findVideoUrl(submitted);
      if (!direct) throw new GenerationError('fal', 'failed', 'submit answered without request_id, status_url and response_url');
      log?.('fal: synchronous answer (fal.base_url is not the queue; https://queue.fal.run allows status polling and cancel)');
      await downloadVideo(direct, request.outputPath, downloadOptions('fal', this.settings, hooks));
      return request.outputPath;
    }
    const { request_id: requestId, status_url: statusUrl, response_url: responseUrl } = submitted;
    const cancelUrl = submitted.cancel_url ?? `${responseUrl}/cancel`;
    log?.(`fal: request ${requestId} queued (${model})`);
    try {
      await pollTask<true>(async () => {
        const s = await callVendor<Status>(statusUrl, { headers: this.headers() }, call);
        if (s.status === 'COMPLETED') {
          if (s.error) throw this.failure(requestId, s.error, s.error_type ?? undefined);
          return { done: true, value: true };
        }
        if (s.status === 'IN_QUEUE' || s.status === 'IN_PROGRESS') return { done: false };
        throw new GenerationError('fal', 'failed', `request ${requestId} is in unexpected state ${String(s.status)}`);
      }, { backend: 'fal', taskId: requestId, intervalMs: this.settings.pollIntervalMs, deadline, signal });
      const output = await this.result(responseUrl, requestId, hooks);
      const url = findVideoUrl(output);
      if (!url) throw new GenerationError('fal', 'no-output', `request ${requestId} output has no video URL`);
      await downloadVideo(url, request.outputPath, downloadOptions('fal', this.settings, hooks));
      return request.outputPath;
    } catch (err) {
      if (abandonsTask(err, signal)) {
        await cancelVendorTask(cancelUrl, { method: 'PUT', headers: this.headers() }, 'fal', requestId, log);
      }
      throw err;
    }
  }

  private failure(requestId: string, detail: string, type?: string): GenerationError {
    const refused = /content_policy|safety|nsfw|moderation/i.test(`${type ?? ''} ${detail}`);
    return new GenerationError('fal', refused ? 'refused' : 'failed', `request ${requestId} failed: ${detail.slice(0, 200)}${type ? ` (${type})` : ''}`);
  }

  /** The model output; a 4xx/5xx here is the model's own failure, with its detail. */
  private async result(url: string, requestId: string, hooks: GenerateHooks): Promise<unknown> {
    let metrics: Record<string, string> = {};
    try {
      const output = await callVendor<unknown>(url, { headers: this.headers() }, {
        vendor: 'fal', settings: this.settings, signal: hooks.signal, log: hooks.log,
        onResponse: (res) => {
          metrics = Object.fromEntries(METRIC_HEADERS.flatMap((h) => (res.headers.get(h) ? [[h, res.headers.get(h)!]] : [])));
        },
      });
      if (Object.keys(metrics).length) hooks.log?.(`fal: request ${requestId} metrics ${Object.entries(metrics).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      return output;
    } catch (err) {
      if (err instanceof VendorError && err.status && err.status < 500 && err.status !== 429 && err.status !== 408 && err.status !== 401 && err.status !== 403) {
        const detail = (err.body as { detail?: unknown } | null)?.detail;
        const text = typeof detail === 'string' ? detail : JSON.stringify(detail ?? err.reason);
        const type = Array.isArray(detail) ? (detail[0] as { type?: string } | undefined)?.type : undefined;
        throw this.failure(requestId, text, type);
      }
      throw err;
    }
  }
}
