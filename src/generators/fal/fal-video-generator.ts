// fal.ai through its queue API: POST {queue}/{model} submits and answers request_id with status,
// response and cancel URLs; the status URL is polled (IN_QUEUE → IN_PROGRESS → COMPLETED), the
// response URL gives the model's output, and PUT on the cancel URL stops a request the job no
// longer wants. The URLs fal returns are used as given: for models with a sub-path they drop it.
// Hand-written HTTP on purpose, although @fal-ai/client exists (the fidelity test drives the fake
// with it): its queue operations (submit, status, result) pass their own fixed retry policies
// (QUEUE_RETRY_CONFIG, 3 retries from 1 s; status 5 retries including 500) that override the
// client's `retry` option, so ttv could neither keep remote_api_settings.max_retries and its job-log
// lines for every retry, nor stop a request's own final error from being retried.
// Inputs are typed per endpoint, from its catalog row (src/catalog/vendors/fal.json, `wire`; built in
// fal-request-input.ts): duration as "6", "8s", a number or none, and the frame, ratio and
// resolution fields each endpoint has.
import type { AppConfig } from '../../config/schema.js';
import { GenerationError } from '../../errors/generation-error.js';
import { VendorError } from '../../errors/vendor-error.js';
import type { GenerateHooks, GenerateRequest, GenerateResult, VendorTaskRecord } from '../types.js';
import { TaskGoneError } from '../../errors/task-gone-error.js';
import { downloadOptions, downloadVideo, hostsOf } from '../remote/download-video.js';
import { shippedCatalog, type ModelCatalog } from '../../catalog/model-catalog.js';
import { imageDataUri } from '../remote/image-data-uri.js';
import { falRequestInput } from './fal-request-input.js';
import { pollTask } from '../remote/poll-task.js';
import { pollInterval, raisedIntervalLine, type PollFloor } from '../remote/poll-floor.js';
import type { RemoteSettings } from '../remote/remote-settings.js';
import { abandonsTask, recordTaskOrCancel } from '../remote/vendor-task.js';
import { RemoteVideoBackend } from '../remote/remote-video-backend.js';
import { redactedClip } from '../../logging/redact.js';

/**
 * fal's own client polls a queued request every 500 ms (@fal-ai/client 1.10.1, src/queue.js
 * DEFAULT_POLL_INTERVAL, read 2026-12-05): faster than that is more than fal asks of its clients.
 */
export const FAL_POLL_FLOOR: PollFloor = {
  seconds: 0.5,
  source: '@fal-ai/client 1.10.1 queue DEFAULT_POLL_INTERVAL (500 ms)',
};

import type { CreateRule } from '../../http/vendor-client/create-rule.js';

/**
 * fal's queue documents no idempotency key for submit and no 5xx that means "not queued": only 429
 * and a refused connection are sent again (https://docs.fal.ai/model-apis/model-endpoints/queue, read 2026-12-05).
 */
export const FAL_CREATE_RULE: CreateRule = {
  retryableStatuses: [],
  source: 'https://docs.fal.ai/model-apis/model-endpoints/queue',
};

interface Submitted {
  request_id?: string;
  status_url?: string;
  response_url?: string;
  cancel_url?: string;
}

interface Status {
  status?: 'IN_QUEUE' | 'IN_PROGRESS' | 'COMPLETED' | string;
  queue_position?: number;
}

/**
 * fal answers a failed request's result with an error status (usually 5xx) and
 * `{detail, error_type}` (also in X-Fal-Error-Type): the request's own final outcome, not a
 * transient gateway error, so it is not retried.
 */
function requestErrorType(res: Response, body: unknown): string | null {
  const type = (body as { error_type?: unknown } | null)?.error_type;
  return typeof type === 'string' ? type : res.headers.get('x-fal-error-type');
}

/** Response headers fal uses for request ids, timings and cost; copied into the job log. */
const METRIC_HEADERS = [
  'x-fal-request-id',
  'x-queue-time',
  'x-compute-time',
  'x-generation-time',
  'x-request-cost',
  'x-total-cost',
  'x-fal-billable-units',
];

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

/** A fal endpoint id as the catalog spells it ("fal-ai/veo3", without leading or trailing slashes). */
export function falEndpointId(id: string): string {
  return id.replace(/^\/+|\/+$/g, '');
}

export { falDuration } from './fal-request-input.js';

export class FalVideoGenerator extends RemoteVideoBackend<AppConfig['fal']> {
  readonly pollFloor: PollFloor = FAL_POLL_FLOOR;
  constructor(section: AppConfig['fal'], settings: RemoteSettings, catalog: ModelCatalog = shippedCatalog()) {
    super(
      {
        backend: 'fal',
        sectionName: 'fal',
        auth: (k) => ({ authorization: `Key ${k}` }),
        modelKey: 'model',
        modelId: falEndpointId(section.model),
        catalog,
      },
      section,
      settings,
    );
  }

  /** fal.cost_per_second when set (a negotiated price), else the endpoint's list price. */
  override estimateCost(durationSeconds: number): number {
    return durationSeconds * (this.section.cost_per_second || this.model.usd_per_second);
  }

  private static readonly HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    const { signal, log } = hooks;
    const model = this.model.id;
    const row = this.model;
    // Frames are only known now (validate runs at planning, before keyframes exist): check again.
    if (!request.firstFrame && !row.modes.text)
      throw new GenerationError('fal', 'invalid', `model ${model} needs a first frame`);
    const problems = this.validate(request);
    if (problems.length) throw new GenerationError('fal', 'invalid', problems.join('; '));
    // A first-last-frame endpoint cannot render from one frame: refuse before the paid call.
    if (row.wire?.last_frame_required && request.firstFrame && !request.lastFrame) {
      throw new GenerationError(
        'fal',
        'invalid',
        `${model} needs a last frame next to the first (use generation_mode keyframe)`,
      );
    }
    const input = falRequestInput(
      row,
      {
        prompt: request.prompt,
        durationSeconds: request.durationSeconds,
        aspectRatio: request.aspectRatio,
        firstFrame: request.firstFrame ? await imageDataUri(request.firstFrame) : undefined,
        lastFrame:
          request.firstFrame && request.lastFrame && row.modes.first_last
            ? await imageDataUri(request.lastFrame)
            : undefined,
      },
      this.section.default_input,
    );
    const deadline = Date.now() + this.settings.timeoutMs;
    const call = { signal, log };
    const headers = FalVideoGenerator.HEADERS;
    await hooks.task?.sending?.('fal', model);
    const submitted = await this.client.json<Submitted>(
      `/${model}`,
      { method: 'POST', headers, body: JSON.stringify(input) },
      { ...call, create: FAL_CREATE_RULE },
    );
    if (!submitted?.request_id || !submitted.status_url || !submitted.response_url) {
      // A base_url of the synchronous endpoint (https://fal.run, the Python default) answers with the
      // output itself: accept it, so old configs keep working, but say the queue is better.
      const direct = findVideoUrl(submitted);
      if (!direct)
        throw new GenerationError('fal', 'failed', 'submit answered without request_id, status_url and response_url');
      log?.(
        'fal: synchronous answer (fal.base_url is not the queue; https://queue.fal.run allows status polling and cancel)',
      );
      await downloadVideo(
        direct,
        request.outputPath,
        downloadOptions('fal', this.settings, hooks, hostsOf(this.section.base_url)),
      );
      return { path: request.outputPath, costUsd: this.estimateCost(request.durationSeconds) };
    }
    const { request_id: requestId, status_url: statusUrl, response_url: responseUrl } = submitted;
    const cancelUrl = submitted.cancel_url ?? `${responseUrl}/cancel`;
    log?.(`fal: request ${requestId} queued (${model})`);
    const task: VendorTaskRecord = {
      backend: 'fal',
      model,
      taskId: requestId,
      createdAt: new Date().toISOString(),
      handles: { status_url: statusUrl, response_url: responseUrl, cancel_url: cancelUrl },
    };
    await recordTaskOrCancel(task, hooks, this);
    return this.follow(task, request, hooks, deadline);
  }

  /** Re-attaches to a request queued earlier (by any process): polls its recorded status URL, no submit. */
  async resume(task: VendorTaskRecord, request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    hooks.log?.(`fal: re-attached to request ${task.taskId} queued at ${task.createdAt} by an earlier attempt`);
    return this.follow(task, request, hooks, Date.parse(task.createdAt) + this.settings.timeoutMs, true);
  }

  async cancelTask(task: VendorTaskRecord, log?: (message: string) => void): Promise<void> {
    const url = task.handles?.cancel_url;
    if (url) await this.client.cancel(url, { method: 'PUT', headers: FalVideoGenerator.HEADERS }, task.taskId, log);
  }

  private async follow(
    task: VendorTaskRecord,
    request: GenerateRequest,
    hooks: GenerateHooks,
    deadline: number,
    resumed = false,
  ): Promise<GenerateResult> {
    const { signal, log } = hooks;
    const headers = FalVideoGenerator.HEADERS;
    const call = { signal, log };
    const requestId = task.taskId;
    const statusUrl = task.handles?.status_url;
    const responseUrl = task.handles?.response_url;
    if (!statusUrl || !responseUrl) throw new TaskGoneError('fal', requestId);
    const interval = pollInterval(this.settings, this.pollFloor);
    if (interval.raised) log?.(raisedIntervalLine('fal', this.settings, this.pollFloor));
    try {
      await pollTask<true>(
        async () => {
          let s: Status;
          try {
            s = await this.client.json<Status>(statusUrl, { headers }, call);
          } catch (err) {
            if (resumed && err instanceof VendorError && err.status === 404) throw new TaskGoneError('fal', requestId);
            throw err;
          }
          // A failed request is COMPLETED too: its error comes from the result endpoint.
          if (s.status === 'COMPLETED') return { done: true, value: true };
          if (s.status === 'IN_QUEUE' || s.status === 'IN_PROGRESS') return { done: false };
          throw new GenerationError('fal', 'failed', `request ${requestId} is in unexpected state ${String(s.status)}`);
        },
        { backend: 'fal', taskId: requestId, intervalMs: interval.ms, deadline, signal },
      );
      const output = await this.result(responseUrl, requestId, hooks);
      const url = findVideoUrl(output);
      if (!url) throw new GenerationError('fal', 'no-output', `request ${requestId} output has no video URL`);
      await downloadVideo(
        url,
        request.outputPath,
        downloadOptions('fal', this.settings, hooks, hostsOf(this.section.base_url)),
      );
      return { path: request.outputPath, costUsd: this.estimateCost(request.durationSeconds) };
    } catch (err) {
      if (abandonsTask(err, signal)) await this.cancelTask(task, log);
      throw err;
    }
  }

  private failure(requestId: string, detail: string, type?: string): GenerationError {
    const refused = /content_policy|safety|nsfw|moderation/i.test(`${type ?? ''} ${detail}`);
    return new GenerationError('fal', refused ? 'refused' : 'failed', `request ${requestId} failed`, false, {
      vendorText: `${redactedClip(detail, 200)}${type ? ` (${type})` : ''}`,
    });
  }

  /** The model output; a 4xx, or a 5xx with an error_type, here is the request's own failure, with its detail. */
  private async result(url: string, requestId: string, hooks: GenerateHooks): Promise<unknown> {
    let metrics: Record<string, string> = {};
    try {
      const output = await this.client.json<unknown>(
        url,
        { headers: FalVideoGenerator.HEADERS },
        {
          signal: hooks.signal,
          log: hooks.log,
          onResponse: (res) => {
            metrics = Object.fromEntries(
              METRIC_HEADERS.flatMap((h) => (res.headers.get(h) ? [[h, res.headers.get(h)!]] : [])),
            );
          },
          isFinal: (res, body) => requestErrorType(res, body) !== null,
        },
      );
      if (Object.keys(metrics).length)
        hooks.log?.(
          `fal: request ${requestId} metrics ${Object.entries(metrics)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`,
        );
      return output;
    } catch (err) {
      const body = err instanceof VendorError ? (err.body as { detail?: unknown; error_type?: unknown } | null) : null;
      const requestError =
        err instanceof VendorError &&
        err.status !== null &&
        (typeof body?.error_type === 'string' || err.finalByVendor);
      const clientError =
        err instanceof VendorError && err.status && err.status < 500 && ![408, 429, 401, 403].includes(err.status);
      if (err instanceof VendorError && (requestError || clientError)) {
        const detail = body?.detail;
        const text =
          typeof detail === 'string'
            ? detail
            : Array.isArray(detail)
              ? String((detail[0] as { msg?: string } | undefined)?.msg ?? JSON.stringify(detail))
              : err.reason;
        const type =
          typeof body?.error_type === 'string'
            ? body.error_type
            : Array.isArray(detail)
              ? (detail[0] as { type?: string } | undefined)?.type
              : undefined;
        throw this.failure(requestId, `${text} (HTTP ${err.status})`, type);
      }
      throw err;
    }
  }
}
