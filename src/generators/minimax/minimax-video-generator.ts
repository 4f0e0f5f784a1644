// MiniMax (Hailuo): POST {base}/video_generation creates a task, GET {base}/query/video_generation
// is polled until Success or Fail, GET {base}/files/retrieve turns the file_id into a download URL.
// MiniMax reports most errors with HTTP 200 and a non-zero base_resp.status_code, so every answer's
// base_resp is checked (the Python original ignored it, and polled on past Fail). MiniMax has no
// cancel endpoint: a canceled job simply stops polling.
import type { AppConfig } from '../../config/schema.js';
import { GenerationError } from '../../errors/generation-error.js';
import { VendorError, abortableSleep, backoffMs } from '../../http/vendor-fetch.js';
import type { GenerateHooks, GenerateRequest, GeneratorCapabilities, VideoGenerator } from '../types.js';
import { downloadOptions, downloadVideo } from '../remote/download-video.js';
import { requestProblems } from '../request-problems.js';
import { requireKey } from '../remote/require-key.js';
import { imageDataUri } from '../remote/image-data-uri.js';
import { pollTask } from '../remote/poll-task.js';
import { remoteSettings, type RemoteSettings } from '../remote/remote-settings.js';
import { callVendor } from '../remote/vendor-task.js';

interface BaseResp {
  status_code?: number;
  status_msg?: string;
}

interface Answer {
  base_resp?: BaseResp;
}

/** Text-only models; the others (I2V-*, Hailuo) take a first frame, Hailuo also text alone. */
const TEXT_ONLY = /^T2V-/i;
const TEXT_CAPABLE = /^(T2V-|MiniMax-Hailuo)/i;
/** Hailuo-02 and later accept a last frame too. */
const LAST_FRAME = /^MiniMax-Hailuo/i;

const RATE_LIMITED = 1002;
const AUTH_FAILED = 1004;
const REFUSED = new Set([1026, 1027]);

export class MinimaxVideoGenerator implements VideoGenerator {
  readonly id = 'minimax';
  private readonly key: string;
  private readonly settings: RemoteSettings;
  private readonly section: AppConfig['minimax'];

  constructor(config: AppConfig) {
    this.key = requireKey('minimax', 'minimax.api_key', config.minimax.api_key);
    this.section = config.minimax;
    this.settings = remoteSettings(config);
  }

  capabilities(): GeneratorCapabilities {
    const model = this.section.model;
    return {
      minDurationSeconds: 1,
      maxDurationSeconds: Math.min(this.section.max_duration, 10),
      textToVideo: TEXT_CAPABLE.test(model),
      imageToVideo: !TEXT_ONLY.test(model),
      firstLastFrame: LAST_FRAME.test(model),
      maxPromptLength: 2000,
    };
  }

  validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    return requestProblems(request, this.capabilities(), 'minimax.max_duration');
  }

  /** MiniMax bills per clip of 6 or 10 s; about $0.045 per second at 768p. */
  estimateCost(durationSeconds: number): number {
    return (durationSeconds <= 6 ? 6 : 10) * 0.045;
  }

  private url(path: string): string {
    return `${this.section.base_url.replace(/\/+$/, '')}${path}`;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.key}`, 'content-type': 'application/json' };
  }

  /** Turns a non-zero base_resp into the matching error. */
  private check(answer: Answer | null, what: string): void {
    const code = answer?.base_resp?.status_code ?? 0;
    if (code === 0) return;
    const msg = `${what}: ${answer?.base_resp?.status_msg ?? 'error'} (status_code ${code})`;
    if (code === RATE_LIMITED) throw new VendorError('minimax', 200, msg, true);
    if (code === AUTH_FAILED) throw new GenerationError('minimax', 'config', `${msg}; check minimax.api_key`);
    if (REFUSED.has(code)) throw new GenerationError('minimax', 'refused', msg);
    throw new GenerationError('minimax', 'failed', msg);
  }

  /** A call whose base_resp is checked; an in-body rate limit is retried like an HTTP 429. */
  private async call<T extends Answer>(url: string, init: RequestInit, what: string, hooks: GenerateHooks): Promise<T> {
    const call = { vendor: 'minimax', settings: this.settings, signal: hooks.signal, log: hooks.log };
    for (let attempt = 0; ; attempt += 1) {
      const answer = await callVendor<T>(url, init, call);
      try {
        this.check(answer, what);
        return answer;
      } catch (err) {
        if (!(err instanceof VendorError) || attempt >= this.settings.maxRetries) throw err;
        const delay = backoffMs(this.settings.retryBaseMs, attempt);
        hooks.log?.(`minimax: ${err.reason}; retrying in ${(delay / 1000).toFixed(1)} s`);
        await abortableSleep(delay, hooks.signal);
      }
    }
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<string> {
    const { signal, log } = hooks;
    const caps = this.capabilities();
    // Frames are only known now (validate runs at planning, before keyframes exist).
    if (!request.firstFrame && !caps.textToVideo) throw new GenerationError('minimax', 'invalid', `model ${this.section.model} needs a first frame`);
    const body: Record<string, unknown> = {
      model: this.section.model,
      prompt: request.prompt,
      duration: request.durationSeconds <= 6 ? 6 : 10,
    };
    if (this.section.resolution) body.resolution = this.section.resolution;
    if (request.firstFrame && caps.imageToVideo) body.first_frame_image = await imageDataUri(request.firstFrame);
    if (request.lastFrame && caps.firstLastFrame) body.last_frame_image = await imageDataUri(request.lastFrame);
    const deadline = Date.now() + this.settings.timeoutMs;
    const created = await this.call<Answer & { task_id?: string }>(this.url('/video_generation'), { method: 'POST', headers: this.headers(), body: JSON.stringify(body) }, 'task creation', hooks);
    if (!created.task_id) throw new GenerationError('minimax', 'failed', 'task creation answered without a task_id');
    const taskId = created.task_id;
    log?.(`minimax: task ${taskId} created (${this.section.model}, ${String(body.duration)} s)`);
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
    await downloadVideo(url, request.outputPath, downloadOptions('minimax', this.settings, hooks));
    return request.outputPath;
  }
}
