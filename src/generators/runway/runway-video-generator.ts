// Runway (api.dev.runwayml.com): POST /v1/image_to_video or /v1/text_to_video creates a task,
// GET /v1/tasks/{id} is polled until SUCCEEDED, FAILED (failure, failureCode) or CANCELLED, the
// first output URL is downloaded, and DELETE /v1/tasks/{id} cancels a task the job no longer wants.
// The calls go through the official @runwayml/sdk. ttv keeps its own parts where the SDK lacks them:
// retries (the SDK's are silent and also retry 409; it runs with maxRetries 0 under VendorClient.sdk),
// polling (waitForTaskOutput sleeps a fixed 6 s and has no progress callback; pollTask honours
// remote_api_settings.polling_interval, raised to Runway's 5 s floor, the deadline and the job's
// signal), one more task after an INTERNAL.BAD_OUTPUT.* failure, and the clip download
// (the SDK has none: downloadVideo streams, caps and checks it).
import RunwayML, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@runwayml/sdk';
import type { ImageToVideoCreateParams, TextToVideoCreateParams } from '@runwayml/sdk/resources';
import type { AppConfig } from '../../config/schema.js';
import { GenerationError } from '../../errors/generation-error.js';
import type {
  GenerateHooks,
  GenerateRequest,
  GenerateResult,
  GeneratorCapabilities,
  VendorTaskRecord,
} from '../types.js';
import { TaskGoneError } from '../../errors/task-gone-error.js';
import { VendorError } from '../../errors/vendor-error.js';
import { downloadOptions, downloadVideo, hostsOf } from '../remote/download-video.js';
import { shippedCatalog, type ModelCatalog } from '../../catalog/model-catalog.js';
import { imageDataUri } from '../remote/image-data-uri.js';
import { runwayRequestBody, type RunwayBody } from './runway-request-body.js';
import { pollTask } from '../remote/poll-task.js';
import { pollInterval, raisedIntervalLine, type PollFloor } from '../remote/poll-floor.js';
import type { RemoteSettings } from '../remote/remote-settings.js';
import { abandonsTask, recordTaskOrCancel } from '../remote/vendor-task.js';
import { RemoteVideoBackend } from '../remote/remote-video-backend.js';
import type { SdkFailure } from '../../http/vendor-client/vendor-client.js';
import { failedBeforeSending, type CreateRule } from '../../http/vendor-client/create-rule.js';

/**
 * Runway's error table lists 429, 502, 503 and 504 as worth retrying, and not 500; create takes no
 * idempotency key (https://docs.dev.runwayml.com/errors/errors/, read 2026-12-05).
 */
export const RUNWAY_CREATE_RULE: CreateRule = {
  retryableStatuses: [502, 503, 504],
  source: 'https://docs.dev.runwayml.com/errors/errors/',
};

/** Maps the SDK's errors to what ttv's retry policy needs. */
function classify(err: unknown): SdkFailure | null {
  if (err instanceof APIUserAbortError) return null;
  if (err instanceof APIConnectionError)
    return { status: null, timeout: err instanceof APIConnectionTimeoutError, notSent: failedBeforeSending(err) };
  if (err instanceof APIError && typeof err.status === 'number')
    return {
      status: err.status,
      body: err.error,
      retryAfter: (err.headers as Headers | undefined)?.get('retry-after') ?? null,
    };
  return null;
}

interface RunwayTask {
  id: string;
  status: 'PENDING' | 'THROTTLED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | string;
  progress?: number | null;
  output?: string[] | null;
  failure?: string | null;
  failureCode?: string | null;
  /** Terminal tasks: the credits charged ("Fully refunded tasks report 0"). */
  cost?: { credits?: number } | null;
}

/**
 * Tasks.retrieve's doc comment in @runwayml/sdk 4.20.1 (read 2026-12-05): "Consumers of this API
 * should not expect updates more frequent than once every five seconds for a given task."
 */
export const RUNWAY_POLL_FLOOR: PollFloor = {
  seconds: 5,
  source: '@runwayml/sdk 4.20.1 Tasks.retrieve: no updates more often than every five seconds per task',
};

/** Failure codes worth one more task (Runway's task-failures page: rejected for quality or system reasons). */
const RETRIED_ONCE = /^INTERNAL\.BAD_OUTPUT(\.|$)/;

/** Credits are $0.01 each (Runway's API price list). */
const USD_PER_CREDIT = 0.01;

/** A FAILED task: Runway's own failure text and code are kept for the job log, never shown to clients. */
class RunwayTaskFailure extends GenerationError {
  /** Runway's failureCode ("SAFETY.INPUT.TEXT"). */
  readonly failureCode: string;
  /** What the failed task still charged (Runway refunds most failures: 0). */
  readonly chargedUsd: number;
  constructor(taskId: string, task: RunwayTask) {
    const code = task.failureCode ?? 'unknown';
    // SAFETY.* codes are refusals (Runway: not worth retrying, diagnostic rather than for end users).
    super('runway', /^SAFETY/i.test(code) ? 'refused' : 'failed', `task ${taskId} failed`, false, {
      vendorText: `${task.failure ?? 'no reason given'} (${code})`,
    });
    this.failureCode = code;
    this.chargedUsd = typeof task.cost?.credits === 'number' ? task.cost.credits * USD_PER_CREDIT : 0;
  }
}

export class RunwayVideoGenerator extends RemoteVideoBackend<AppConfig['runway_ml']> {
  readonly pollFloor: PollFloor = RUNWAY_POLL_FLOOR;
  private readonly sdk: RunwayML;

  constructor(section: AppConfig['runway_ml'], settings: RemoteSettings, catalog: ModelCatalog = shippedCatalog()) {
    super(
      {
        backend: 'runway',
        sectionName: 'runway_ml',
        auth: (k) => ({ authorization: `Bearer ${k}` }),
        modelKey: 'model_version',
        modelId: section.model_version,
        catalog,
      },
      section,
      settings,
    );
    this.sdk = new RunwayML({
      apiKey: this.key,
      baseURL: this.client.baseUrl,
      runwayVersion: section.api_version,
      maxRetries: 0,
    });
  }

  /** The row's checks, and runway_ml.seed only for a model that takes a seed (its SDK type has none otherwise). */
  override validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    const problems = super.validate(request);
    if (this.section.seed !== null && this.section.seed !== undefined && !this.model.wire?.seed_field) {
      problems.push(`${this.model.id} takes no seed (runway_ml.seed is set)`);
    }
    return problems;
  }

  /** The aspect runway_ml.default_ratio stands for, when a frame-taking mode offers it: what a job without an aspect renders. */
  override capabilities(): GeneratorCapabilities {
    const caps = super.capabilities();
    const offered =
      [this.model.modes.image, this.model.modes.text].find(
        (r): r is Record<string, string> => r !== null && r !== 'follows-image',
      ) ?? {};
    const aspect = Object.entries(offered).find(([, wire]) => wire === this.section.default_ratio)?.[0];
    return aspect ? { ...caps, defaultAspectRatio: aspect } : caps;
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    const { log } = hooks;
    const model = this.model.id;
    // Frames are only known now (validate runs at planning, before keyframes exist): check again
    // with them, so nothing Runway would refuse is ever sent (and billed).
    if (!request.firstFrame && !this.model.modes.text)
      throw new GenerationError('runway', 'invalid', `model ${model} needs a first frame`);
    const problems = this.validate(request);
    if (problems.length) throw new GenerationError('runway', 'invalid', problems.join('; '));
    const { endpoint, body, ratio } = runwayRequestBody(this.model, {
      prompt: request.prompt,
      durationSeconds: request.durationSeconds,
      aspectRatio: request.aspectRatio,
      firstFrame: request.firstFrame ? await imageDataUri(request.firstFrame) : undefined,
      lastFrame:
        request.firstFrame && request.lastFrame && this.model.modes.first_last
          ? await imageDataUri(request.lastFrame)
          : undefined,
      defaultRatio: this.section.default_ratio,
      seed: this.section.seed,
    });
    // INTERNAL.BAD_OUTPUT.*: Runway rejected the output for quality or system reasons, and its
    // task-failures page lets integrators retry those; a second such failure, or any other code
    // (SAFETY.* above all), is final.
    let failedTasksUsd = 0;
    for (let task = 1; ; task += 1) {
      try {
        const made = await this.runTask(endpoint, body, ratio, request, hooks);
        return { ...made, costUsd: made.costUsd + failedTasksUsd };
      } catch (err) {
        if (!(err instanceof RunwayTaskFailure)) throw err;
        failedTasksUsd += err.chargedUsd;
        if (task === 1 && RETRIED_ONCE.test(err.failureCode)) {
          log?.(
            `runway: ${err.message}; the output was rejected for quality (${err.failureCode}), so one more task is made${err.chargedUsd > 0 ? ` (the failed one charged ${err.chargedUsd.toFixed(2)} USD)` : ''}`,
          );
          continue;
        }
        throw err;
      }
    }
  }

  /** One Runway task for the body: create, poll, download. */
  private async runTask(
    endpoint: RunwayBody['endpoint'],
    body: RunwayBody['body'],
    ratio: RunwayBody['ratio'],
    request: GenerateRequest,
    hooks: GenerateHooks,
  ): Promise<GenerateResult> {
    const { signal, log } = hooks;
    const model = this.model.id;
    const duration = request.durationSeconds;
    const deadline = Date.now() + this.settings.timeoutMs;
    const call = { signal, log };
    await hooks.task?.sending?.('runway', model);
    // The body fits the model's SDK params type: the catalog row checked it above.
    const created = await this.client.sdk(
      (s) =>
        endpoint === 'image_to_video'
          ? this.sdk.imageToVideo.create(body as unknown as ImageToVideoCreateParams, { signal: s })
          : this.sdk.textToVideo.create(body as unknown as TextToVideoCreateParams, { signal: s }),
      classify,
      { ...call, create: RUNWAY_CREATE_RULE },
    );
    if (!created?.id) throw new GenerationError('runway', 'failed', 'task creation answered without a task id');
    const taskId = created.id;
    const credits = created.estimatedCost?.credits;
    log?.(
      `runway: task ${taskId} created (${model}, ${ratio ?? 'shape of the frame'}, ${duration} s${typeof credits === 'number' ? `, at most ${credits} credits` : ''})`,
    );
    const task: VendorTaskRecord = { backend: 'runway', model, taskId, createdAt: new Date().toISOString() };
    return this.follow(task, request, hooks, deadline);
  }

  /** Re-attaches to a task created earlier (by any process): polls it by id, no create. */
  async resume(task: VendorTaskRecord, request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    hooks.log?.(`runway: re-attached to task ${task.taskId} created at ${task.createdAt} by an earlier attempt`);
    return this.follow(task, request, hooks, Date.parse(task.createdAt) + this.settings.timeoutMs, true);
  }

  async cancelTask(task: VendorTaskRecord, log?: (message: string) => void): Promise<void> {
    // On its own short deadline (the job's signal has already fired); logged, never thrown.
    try {
      await this.sdk.tasks.delete(task.taskId, { signal: AbortSignal.timeout(10_000) });
      log?.(`runway: task ${task.taskId} cancelled (DELETE /v1/tasks/${task.taskId})`);
    } catch (cancelErr) {
      const f = classify(cancelErr);
      log?.(
        `runway: cancel of task ${task.taskId} failed (${f?.status ? `HTTP ${f.status}` : `connection failed to ${this.client.host}`})`,
      );
    }
  }

  /** Records the task (before the first poll, unless re-attached), polls it to its end and downloads its clip. */
  private async follow(
    record: VendorTaskRecord,
    request: GenerateRequest,
    hooks: GenerateHooks,
    deadline: number,
    resumed = false,
  ): Promise<GenerateResult> {
    const { signal, log } = hooks;
    const { taskId } = record;
    const call = { signal, log };
    const interval = pollInterval(this.settings, this.pollFloor);
    if (interval.raised) log?.(raisedIntervalLine('runway', this.settings, this.pollFloor));
    try {
      if (!resumed) await recordTaskOrCancel(record, hooks, this);
      const task = await pollTask<RunwayTask>(
        async () => {
          let t: RunwayTask;
          try {
            t = (await this.client.sdk(
              (s) => this.sdk.tasks.retrieve(taskId, { signal: s }),
              classify,
              call,
            )) as RunwayTask;
          } catch (err) {
            if (resumed && err instanceof VendorError && err.status === 404) throw new TaskGoneError('runway', taskId);
            throw err;
          }
          if (t.status === 'SUCCEEDED') return { done: true, value: t };
          if (t.status === 'FAILED') throw new RunwayTaskFailure(taskId, t);
          if (t.status === 'CANCELLED')
            throw new GenerationError('runway', 'failed', `task ${taskId} was cancelled on Runway's side`);
          return { done: false, progress: typeof t.progress === 'number' ? t.progress : undefined };
        },
        { backend: 'runway', taskId, intervalMs: interval.ms, deadline, signal, onProgress: hooks.onProgress },
      );
      const url = Array.isArray(task.output) ? task.output[0] : undefined;
      if (!url) throw new GenerationError('runway', 'no-output', `task ${taskId} succeeded without an output URL`);
      await downloadVideo(
        url,
        request.outputPath,
        downloadOptions('runway', this.settings, hooks, hostsOf(this.section.base_url)),
      );
      return { path: request.outputPath, costUsd: this.estimateCost(request.durationSeconds) };
    } catch (err) {
      // A canceled job or an abandoned (timed-out) task is cancelled at Runway too.
      if (abandonsTask(err, signal)) await this.cancelTask(record, log);
      throw err;
    }
  }
}
