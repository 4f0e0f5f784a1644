// Runway (api.dev.runwayml.com): POST /v1/image_to_video or /v1/text_to_video creates a task,
// GET /v1/tasks/{id} is polled until SUCCEEDED, FAILED (failure, failureCode) or CANCELLED, the
// first output URL is downloaded, and DELETE /v1/tasks/{id} cancels a task the job no longer wants.
import type { AppConfig } from '../../config/schema.js';
import { GenerationError } from '../../errors/generation-error.js';
import type { GenerateHooks, GenerateRequest, GeneratorCapabilities, VideoGenerator } from '../types.js';
import { downloadOptions, downloadVideo } from '../remote/download-video.js';
import { requestProblems } from '../request-problems.js';
import { requireKey } from '../remote/require-key.js';
import { imageDataUri } from '../remote/image-data-uri.js';
import { pollTask } from '../remote/poll-task.js';
import { remoteSettings, type RemoteSettings } from '../remote/remote-settings.js';
import { abandonsTask, callVendor, cancelVendorTask } from '../remote/vendor-task.js';

interface RunwayTask {
  id: string;
  status: 'PENDING' | 'THROTTLED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | string;
  progress?: number | null;
  output?: string[] | null;
  failure?: string | null;
  failureCode?: string | null;
}

/** Aspect ratio → Runway's pixel ratio strings. */
const RATIOS: Record<string, string> = {
  '16:9': '1280:720', '9:16': '720:1280', '4:3': '1104:832', '3:4': '832:1104', '1:1': '960:960', '21:9': '1584:672',
};

/** Models that can start from text alone (the others need promptImage). */
const TEXT_MODELS = new Set(['gen4.5', 'veo3', 'veo3.1', 'veo3.1_fast']);
/** Models that accept a first and a last frame (promptImage positions). */
const FIRST_LAST_MODELS = new Set(['gen3a_turbo']);
/** USD per second (credits at $0.01), from Runway's public price list; unknown models use gen4_turbo's. */
const PRICE_PER_SECOND: Record<string, number> = { gen4_turbo: 0.05, gen3a_turbo: 0.05, 'gen4.5': 0.12, veo3: 0.4, 'veo3.1': 0.4, 'veo3.1_fast': 0.15 };

export class RunwayVideoGenerator implements VideoGenerator {
  readonly id = 'runway';
  private readonly key: string;
  private readonly settings: RemoteSettings;
  private readonly section: AppConfig['runway_ml'];

  constructor(config: AppConfig) {
    this.key = requireKey('runway', 'runway_ml.api_key', config.runway_ml.api_key);
    this.section = config.runway_ml;
    this.settings = remoteSettings(config);
  }

  capabilities(): GeneratorCapabilities {
    const model = this.section.model_version;
    return {
      minDurationSeconds: 2,
      maxDurationSeconds: this.section.max_duration,
      textToVideo: TEXT_MODELS.has(model),
      imageToVideo: true,
      firstLastFrame: FIRST_LAST_MODELS.has(model),
      maxPromptLength: 1000,
      aspectRatios: Object.keys(RATIOS),
    };
  }

  validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    // Runway takes whole seconds: the rounded duration is what must fit.
    return requestProblems({ ...request, durationSeconds: Math.round(request.durationSeconds) }, this.capabilities(), 'runway_ml.max_duration');
  }

  estimateCost(durationSeconds: number): number {
    const perSecond = PRICE_PER_SECOND[this.section.model_version] ?? PRICE_PER_SECOND.gen4_turbo!;
    return Math.round(durationSeconds) * perSecond;
  }

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.key}`, 'x-runway-version': this.section.api_version, 'content-type': 'application/json' };
  }

  private url(path: string): string {
    return `${this.section.base_url.replace(/\/+$/, '')}${path}`;
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<string> {
    const { signal, log } = hooks;
    const model = this.section.model_version;
    // Frames are only known now (validate runs at planning, before keyframes exist).
    if (!request.firstFrame && !TEXT_MODELS.has(model)) throw new GenerationError('runway', 'invalid', `model ${model} needs a first frame`);
    const ratio = request.aspectRatio ? RATIOS[request.aspectRatio]! : this.section.default_ratio;
    const duration = Math.round(request.durationSeconds);
    const body: Record<string, unknown> = { model, promptText: request.prompt, ratio, duration };
    if (this.section.seed !== null && this.section.seed !== undefined) body.seed = this.section.seed;
    let path = '/v1/text_to_video';
    if (request.firstFrame) {
      path = '/v1/image_to_video';
      const first = await imageDataUri(request.firstFrame);
      body.promptImage = request.lastFrame && FIRST_LAST_MODELS.has(model)
        ? [{ uri: first, position: 'first' }, { uri: await imageDataUri(request.lastFrame), position: 'last' }]
        : first;
    }
    const deadline = Date.now() + this.settings.timeoutMs;
    const call = { vendor: 'runway', settings: this.settings, signal, log };
    const created = await callVendor<{ id?: string }>(this.url(path), { method: 'POST', headers: this.headers(), body: JSON.stringify(body) }, call);
    if (!created?.id) throw new GenerationError('runway', 'failed', 'task creation answered without a task id');
    const taskId = created.id;
    log?.(`runway: task ${taskId} created (${model}, ${ratio}, ${duration} s)`);
    try {
      const task = await pollTask<RunwayTask>(async () => {
        const t = await callVendor<RunwayTask>(this.url(`/v1/tasks/${encodeURIComponent(taskId)}`), { headers: this.headers() }, call);
        if (t.status === 'SUCCEEDED') return { done: true, value: t };
        if (t.status === 'FAILED') {
          const code = t.failureCode ?? 'unknown';
          const refused = /SAFETY/i.test(code);
          throw new GenerationError('runway', refused ? 'refused' : 'failed', `task ${taskId} failed: ${t.failure ?? 'no reason given'} (${code})`);
        }
        if (t.status === 'CANCELLED') throw new GenerationError('runway', 'failed', `task ${taskId} was cancelled on Runway's side`);
        return { done: false, progress: typeof t.progress === 'number' ? t.progress : undefined };
      }, { backend: 'runway', taskId, intervalMs: this.settings.pollIntervalMs, deadline, signal, onProgress: hooks.onProgress });
      const url = Array.isArray(task.output) ? task.output[0] : undefined;
      if (!url) throw new GenerationError('runway', 'no-output', `task ${taskId} succeeded without an output URL`);
      await downloadVideo(url, request.outputPath, downloadOptions('runway', this.settings, hooks));
      return request.outputPath;
    } catch (err) {
      // A canceled job or an abandoned (timed-out) task is cancelled at Runway too.
      if (abandonsTask(err, signal)) {
        await cancelVendorTask(this.url(`/v1/tasks/${encodeURIComponent(taskId)}`), { method: 'DELETE', headers: this.headers() }, 'runway', taskId, log);
      }
      throw err;
    }
  }
}
