// MiniMax (Hailuo): POST {base}/video_generation creates a task, GET {base}/query/video_generation
// is polled until Success or Fail, GET {base}/files/retrieve turns the file_id into a download URL.
// MiniMax reports most errors with HTTP 200 and a non-zero base_resp.status_code, so every answer's
// base_resp is checked, and polling stops at Fail. MiniMax has no cancel endpoint: a canceled job
// simply stops polling.
// Hand-written on purpose: MiniMax publishes no official Node SDK, only the HTTP API reference.
// What each model renders (and whether it takes `duration` at all) is its row in
// capabilities/minimax-models.ts.
import type { AppConfig } from '../../config/schema.js';
import { GenerationError } from '../../errors/generation-error.js';
import { VendorError, abortableSleep, backoffMs } from '../../http/vendor-fetch.js';
import type { GenerateHooks, GenerateRequest, GenerateResult, GeneratorCapabilities, VideoGenerator } from '../types.js';
import { downloadOptions, downloadVideo, hostsOf } from '../remote/download-video.js';
import { modelRequestProblems, summarize } from '../capabilities/model-request-problems.js';
import { MINIMAX_MODELS, minimaxModel, minimaxResolutionProblem } from '../capabilities/minimax-models.js';
import type { ModelCapabilities } from '../capabilities/model-capabilities.js';
import { requireKey } from '../remote/require-key.js';
import { imageDataUri } from '../remote/image-data-uri.js';
import { pollTask } from '../remote/poll-task.js';
import { remoteSettings, type RemoteSettings } from '../remote/remote-settings.js';
import { callVendor } from '../remote/vendor-task.js';
import { trimTrailingSlashes } from '../../http/base-url.js';

interface BaseResp {
  status_code?: number;
  status_msg?: string;
}

interface Answer {
  base_resp?: BaseResp;
}

const RATE_LIMITED = 1002;
const AUTH_FAILED = 1004;
const REFUSED = new Set([1026, 1027]);

export class MinimaxVideoGenerator implements VideoGenerator {
  readonly id = 'minimax';
  private readonly key: string;
  private readonly settings: RemoteSettings;
  private readonly section: AppConfig['minimax'];
  private readonly model: ModelCapabilities;

  constructor(config: AppConfig) {
    this.key = requireKey('minimax', 'minimax.api_key', config.minimax.api_key);
    this.section = config.minimax;
    this.settings = remoteSettings(config);
    const model = minimaxModel(this.section.model);
    if (!model) throw new GenerationError('minimax', 'config', `minimax.model "${this.section.model}" is not a MiniMax video model ttv has a capability row for (${MINIMAX_MODELS.map((m) => m.id).join(', ')})`);
    this.model = model;
  }

  capabilities(): GeneratorCapabilities {
    return summarize(this.model, this.section.max_duration);
  }

  validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    const problems = modelRequestProblems(request, this.model, { maxDuration: { seconds: this.section.max_duration, key: 'minimax.max_duration' } });
    const resolution = minimaxResolutionProblem(this.model, this.section.resolution, request.durationSeconds);
    if (resolution) problems.push(resolution);
    return problems;
  }

  estimateCost(durationSeconds: number): number {
    return durationSeconds * this.model.usdPerSecond;
  }

  private url(path: string): string {
    return `${trimTrailingSlashes(this.section.base_url)}${path}`;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' };
  }

  /** Turns a non-zero base_resp into the matching error; MiniMax's Trace-Id is named for support. */
  private check(answer: Answer | null, what: string, traceId?: string | null): void {
    const code = answer?.base_resp?.status_code ?? 0;
    if (code === 0) return;
    const msg = `${what}: ${answer?.base_resp?.status_msg ?? 'error'} (status_code ${code}${traceId ? `, trace-id ${traceId}` : ''})`;
    if (code === RATE_LIMITED) throw new VendorError('minimax', 200, msg, true);
    if (code === AUTH_FAILED) throw new GenerationError('minimax', 'config', `${msg}; check minimax.api_key`);
    if (REFUSED.has(code)) throw new GenerationError('minimax', 'refused', msg);
    throw new GenerationError('minimax', 'failed', msg);
  }

  /** A call whose base_resp is checked; an in-body rate limit is retried like an HTTP 429. */
  private async call<T extends Answer>(url: string, init: RequestInit, what: string, hooks: GenerateHooks): Promise<T> {
    let traceId: string | null = null;
    const call = { vendor: 'minimax', settings: this.settings, signal: hooks.signal, log: hooks.log, onResponse: (res: Response) => { traceId = res.headers.get('trace-id'); } };
    for (let attempt = 0; ; attempt += 1) {
      const answer = await callVendor<T>(url, init, call);
      try {
        this.check(answer, what, traceId);
        return answer;
      } catch (err) {
        if (!(err instanceof VendorError) || attempt >= this.settings.maxRetries) throw err;
        const delay = backoffMs(this.settings.retryBaseMs, attempt);
        hooks.log?.(`minimax: ${err.reason}; retrying in ${(delay / 1000).toFixed(1)} s`);
        await abortableSleep(delay, hooks.signal);
      }
    }
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    const { signal, log } = hooks;
    const row = this.model;
    // Frames are only known now (validate runs at planning, before keyframes exist): check again.
    if (!request.firstFrame && !row.text) throw new GenerationError('minimax', 'invalid', `model ${row.id} needs a first frame`);
    const problems = this.validate(request);
    if (problems.length) throw new GenerationError('minimax', 'invalid', problems.join('; '));
    const body: Record<string, unknown> = { model: row.id, prompt: request.prompt };
    // duration and resolution exist for the Hailuo models only; the 01 series renders 6 s.
    if (row.durationField) body.duration = request.durationSeconds;
    if (row.durationField && this.section.resolution) body.resolution = this.section.resolution;
    if (request.firstFrame && row.image) body.first_frame_image = await imageDataUri(request.firstFrame);
    if (request.lastFrame && row.firstLast) body.last_frame_image = await imageDataUri(request.lastFrame);
    const deadline = Date.now() + this.settings.timeoutMs;
    const created = await this.call<Answer & { task_id?: string }>(this.url('/video_generation'), { method: 'POST', headers: this.headers(), body: JSON.stringify(body) }, 'task creation', hooks);
    if (!created.task_id) throw new GenerationError('minimax', 'failed', 'task creation answered without a task_id');
    const taskId = created.task_id;
    log?.(`minimax: task ${taskId} created (${row.id}, ${request.durationSeconds} s)`);
    const fileId = await pollTask<string>(async () => {
      const q = `/query/video_generation?task_id=${encodeURIComponent(taskId)}`;
      const t = await this.call<Answer & { status?: string; file_id?: string }>(this.url(q), { headers: this.headers() }, `task ${taskId}`, hooks);
      if (t.status === 'Success') {
        if (!t.file_id) throw new GenerationError('minimax', 'no-output', `task ${taskId} succeeded without a file_id`);
        return { done: true, value: t.file_id };
      }
      if (t.status === 'Fail') throw new GenerationError('minimax', 'failed', `task ${taskId} failed (MiniMax reported status Fail)`);
      return { done: false };
    }, { backend: 'minimax', taskId, intervalMs: this.settings.pollIntervalMs, deadline, signal });
    const file = await this.call<Answer & { file?: { download_url?: string } }>(
      this.url(`/files/retrieve?file_id=${encodeURIComponent(fileId)}`), { headers: this.headers() }, `file ${fileId}`, hooks,
    );
    const url = file.file?.download_url;
    if (!url) throw new GenerationError('minimax', 'no-output', `file ${fileId} has no download_url`);
    await downloadVideo(url, request.outputPath, downloadOptions('minimax', this.settings, hooks, hostsOf(this.section.base_url)));
    return { path: request.outputPath, costUsd: this.estimateCost(request.durationSeconds) };
  }
}
