// MiniMax, on two protocols chosen by the model's catalog row (`protocol`):
// - minimax-v1 (Hailuo, 01 series): POST {base}/video_generation creates a task, GET
//   {base}/query/video_generation is polled until Success or Fail, GET {base}/files/retrieve turns
//   the file_id into a download URL. MiniMax reports most v1 errors with HTTP 200 and a non-zero
//   base_resp.status_code, so every answer's base_resp is checked. v1 has no cancel endpoint: a
//   canceled job stops polling and the job log says the task keeps running (and may bill).
// - minimax-v2 (H3, H3-Max): POST /v2/video_generation, GET /v2/query/video_generation/{task_id}
//   until succeeded, the clip at task.content.url; a task still queued when the job is canceled
//   (or passes its deadline) is cancelled with DELETE /v2/video_generation/{task_id} (MiniMax's
//   "Cancel or delete task" page: queued tasks only, uncharged; a running one answers an error and
//   the job log says it keeps running). The wire format and its sources: minimax-v2-protocol.ts.
//   minimax.base_url names the v1 prefix (https://api.minimax.io/v1); V2 paths sit beside it.
// On both, the task is recorded before its first poll (a later attempt re-attaches to it instead
// of creating another) and a create is sent again only under MINIMAX_CREATE_RULE.
// Hand-written on purpose: MiniMax publishes no Node SDK for these APIs (its CLI is an app, not a
// library), only the HTTP API reference. What each model renders (and whether it takes
// `duration` and `resolution` at all) is its catalog row (src/catalog/vendors/minimax.json).
import type { AppConfig } from '../../config/schema.js';
import { GenerationError } from '../../errors/generation-error.js';
import { VendorError } from '../../errors/vendor-error.js';
import { TaskGoneError } from '../../errors/task-gone-error.js';
import { VendorOutcomeUnknownError } from '../../errors/vendor-outcome-unknown-error.js';
import type { CreateRule } from '../../http/vendor-client/create-rule.js';
import type { GenerateHooks, GenerateRequest, GenerateResult, VendorTaskRecord } from '../types.js';
import { downloadOptions, downloadVideo, hostsOf } from '../remote/download-video.js';
import type { CatalogRow } from '../../config/catalog-row-schema.js';
import { shippedCatalog, type ModelCatalog } from '../../catalog/model-catalog.js';
import { imageDataUri } from '../remote/image-data-uri.js';
import { pollTask } from '../remote/poll-task.js';
import { DEFAULT_POLL_FLOOR, pollInterval, raisedIntervalLine, type PollFloor } from '../remote/poll-floor.js';
import type { RemoteSettings } from '../remote/remote-settings.js';
import { RemoteVideoBackend } from '../remote/remote-video-backend.js';
import { abandonsTask, cannotStopMessage, recordTaskOrCancel } from '../remote/vendor-task.js';
import {
  minimaxApiRoot,
  minimaxV2Body,
  minimaxV2Failure,
  minimaxV2TaskFailure,
  type MinimaxV2Task,
} from './minimax-v2-protocol.js';

interface BaseResp {
  status_code?: number;
  status_msg?: string;
}

interface Answer {
  base_resp?: BaseResp;
}

/** MiniMax documents no polling cadence (read 2026-12-05): ttv's default floor. */
export const MINIMAX_POLL_FLOOR: PollFloor = DEFAULT_POLL_FLOOR;

/**
 * MiniMax documents no idempotency key for task creation and no HTTP 5xx that means "not created";
 * its error-code page says to retry later after 1000 (unknown error), 1001 (request timeout), 1002
 * (rate limit) and 1024 (internal error), without saying that no task was made. A rate limit
 * (HTTP 429, V2's rate_limit_error; v1's in-body 1002) refuses the request before any work and is
 * sent again; a 5xx, a timeout or a reset after sending, and v1's in-body 1000/1001/1024 on create
 * leave the outcome unknown (https://platform.minimax.io/docs/api-reference/errorcode, read 2026-12-06).
 */
export const MINIMAX_CREATE_RULE: CreateRule = {
  retryableStatuses: [],
  source: 'https://platform.minimax.io/docs/api-reference/errorcode',
};

/** In-body codes of a v1 create answer that do not say whether the task exists (see MINIMAX_CREATE_RULE). */
const CREATE_OUTCOME_UNKNOWN = new Set([1000, 1001, 1024]);
/** v1's "invalid params" code, which a query for a task MiniMax no longer knows answers with. */
const INVALID_PARAMS = 2013;

const RATE_LIMITED = 1002;
const AUTH_FAILED = 1004;
const REFUSED = new Set([1026, 1027]);

/** minimax.resolution against the model's row; MiniMax documents 10 s clips at 768P only. */
export function minimaxResolutionProblem(
  model: CatalogRow,
  resolution: string | undefined,
  seconds: number,
): string | null {
  if (!resolution) return null;
  const offered = model.resolutions;
  if (!offered) return `${model.id} takes no resolution (minimax.resolution)`;
  if (!offered.includes(resolution))
    return `${model.id} renders ${offered.join(', ')}, not ${resolution} (minimax.resolution)`;
  if (resolution === '1080P' && seconds === 10)
    return `${model.id} renders 10 s clips at 768P only (minimax.resolution is 1080P)`;
  return null;
}

/** What a call's base_resp check needs to know besides the answer. */
interface CallKind {
  /** A task creation (a payment): sent again only under MINIMAX_CREATE_RULE. */
  create?: boolean;
  /** The query of a re-attached task: "invalid task_id" means the task is gone. */
  goneTaskId?: string;
}

export class MinimaxVideoGenerator extends RemoteVideoBackend<AppConfig['minimax']> {
  readonly pollFloor: PollFloor = MINIMAX_POLL_FLOOR;
  constructor(section: AppConfig['minimax'], settings: RemoteSettings, catalog: ModelCatalog = shippedCatalog()) {
    super(
      {
        backend: 'minimax',
        sectionName: 'minimax',
        auth: (k) => ({ authorization: `Bearer ${k}` }),
        modelKey: 'model',
        modelId: section.model,
        catalog,
      },
      section,
      settings,
    );
  }

  override validate(request: Omit<GenerateRequest, 'outputPath'>): string[] {
    const problems = super.validate(request);
    const resolution = minimaxResolutionProblem(this.model, this.section.resolution, request.durationSeconds);
    if (resolution) problems.push(resolution);
    return problems;
  }

  /** Turns a non-zero base_resp into the matching error; MiniMax's Trace-Id is named for support. */
  private check(answer: Answer | null, what: string, traceId: string | null, kind: CallKind): void {
    const code = answer?.base_resp?.status_code ?? 0;
    if (code === 0) return;
    if (kind.goneTaskId !== undefined && code === INVALID_PARAMS) throw new TaskGoneError('minimax', kind.goneTaskId);
    if (kind.create && CREATE_OUTCOME_UNKNOWN.has(code))
      throw new VendorOutcomeUnknownError(
        'minimax',
        `answered base_resp.status_code ${code}${traceId ? ` (trace-id ${traceId})` : ''}`,
      );
    // status_msg is MiniMax's own text: for the job log, not for clients (errors/vendor-failure.ts).
    const vendorText = `${answer?.base_resp?.status_msg ?? 'error'} (status_code ${code}${traceId ? `, trace-id ${traceId}` : ''})`;
    if (code === RATE_LIMITED) throw new VendorError('minimax', 200, `${what}: ${vendorText}`, true, answer);
    if (code === AUTH_FAILED)
      throw new GenerationError(
        'minimax',
        'config',
        `${what} was refused for its key (status_code ${code}); check minimax.api_key`,
        false,
        { vendorText },
      );
    if (REFUSED.has(code)) throw new GenerationError('minimax', 'refused', what, false, { vendorText });
    throw new GenerationError('minimax', 'failed', what, false, { vendorText });
  }

  /** A call whose base_resp is checked; an in-body rate limit is retried like an HTTP 429. */
  private async call<T extends Answer>(
    path: string,
    init: { method?: string; body?: string },
    what: string,
    hooks: GenerateHooks,
    kind: CallKind = {},
  ): Promise<T> {
    let traceId: string | null = null;
    if (kind.create) await hooks.task?.sending?.('minimax', this.model.id);
    return this.client.json<T>(
      path,
      { ...init, headers: { 'content-type': 'application/json' } },
      {
        signal: hooks.signal,
        log: hooks.log,
        onResponse: (res) => {
          traceId = res.headers.get('trace-id');
        },
        check: (answer) => this.check(answer as Answer | null, what, traceId, kind),
        ...(kind.create ? { create: MINIMAX_CREATE_RULE } : {}),
      },
    );
  }

  private get root(): string {
    return minimaxApiRoot(this.section.base_url);
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    const row = this.model;
    // Frames are only known now (validate runs at planning, before keyframes exist): check again.
    if (!request.firstFrame && !row.modes.text)
      throw new GenerationError('minimax', 'invalid', `model ${row.id} needs a first frame`);
    const problems = this.validate(request);
    if (problems.length) throw new GenerationError('minimax', 'invalid', problems.join('; '));
    const deadline = Date.now() + this.settings.timeoutMs;
    const task =
      row.protocol === 'minimax-v2' ? await this.createV2(request, hooks) : await this.createV1(request, hooks);
    await recordTaskOrCancel(task, hooks, this);
    return this.follow(task, request, hooks, deadline);
  }

  /** Re-attaches to a task created earlier (by any process): polls it by id, no create. */
  async resume(task: VendorTaskRecord, request: GenerateRequest, hooks: GenerateHooks): Promise<GenerateResult> {
    hooks.log?.(`minimax: re-attached to task ${task.taskId} created at ${task.createdAt} by an earlier attempt`);
    return this.follow(task, request, hooks, Date.parse(task.createdAt) + this.settings.timeoutMs, true);
  }

  /**
   * V2: DELETE /v2/video_generation/{id}, which cancels a queued task (uncharged) and refuses a
   * running one; v1 has no cancel. Where the task keeps running, the job log says what it may bill.
   */
  async cancelTask(task: VendorTaskRecord, log?: (message: string) => void): Promise<void> {
    if (task.handles?.protocol !== 'minimax-v2') {
      log?.(cannotStopMessage(task, this));
      return;
    }
    const status = await this.client.cancel(
      `${this.root}/v2/video_generation/${encodeURIComponent(task.taskId)}`,
      { method: 'DELETE' },
      task.taskId,
      log,
    );
    if (status === null) log?.(cannotStopMessage(task, this, 'its cancel did not reach MiniMax'));
    else if (status < 200 || status >= 300)
      log?.(cannotStopMessage(task, this, 'MiniMax cancels a task only while it is queued'));
  }

  private async createV2(request: GenerateRequest, hooks: GenerateHooks): Promise<VendorTaskRecord> {
    const row = this.model;
    const body = minimaxV2Body(row, {
      prompt: request.prompt,
      durationSeconds: request.durationSeconds,
      aspectRatio: request.aspectRatio,
      resolution: this.section.resolution,
      firstFrame: request.firstFrame ? await imageDataUri(request.firstFrame) : undefined,
      lastFrame:
        request.firstFrame && request.lastFrame && row.modes.first_last
          ? await imageDataUri(request.lastFrame)
          : undefined,
    });
    const created = await this.call<Answer & { task_id?: string }>(
      `${this.root}/v2/video_generation`,
      { method: 'POST', body: JSON.stringify(body) },
      'task creation',
      hooks,
      { create: true },
    ).catch((err: unknown) => {
      throw minimaxV2Failure(err, 'task creation');
    });
    if (!created.task_id) throw new GenerationError('minimax', 'failed', 'task creation answered without a task_id');
    const taskId = String(created.task_id);
    hooks.log?.(
      `minimax: task ${taskId} created (${row.id}, ${body.resolution}, ${body.ratio ?? 'shape of the frame'}, ${body.duration} s)`,
    );
    return {
      backend: 'minimax',
      model: row.id,
      taskId,
      createdAt: new Date().toISOString(),
      handles: { protocol: 'minimax-v2' },
    };
  }

  private async createV1(request: GenerateRequest, hooks: GenerateHooks): Promise<VendorTaskRecord> {
    const row = this.model;
    const body: Record<string, unknown> = { model: row.id, prompt: request.prompt };
    // duration and resolution exist for the Hailuo models only; the 01 series renders 6 s.
    if (row.duration_field) body.duration = request.durationSeconds;
    if (row.resolutions && this.section.resolution) body.resolution = this.section.resolution;
    if (request.firstFrame && row.modes.image) body.first_frame_image = await imageDataUri(request.firstFrame);
    if (request.lastFrame && row.modes.first_last) body.last_frame_image = await imageDataUri(request.lastFrame);
    const created = await this.call<Answer & { task_id?: string }>(
      '/video_generation',
      { method: 'POST', body: JSON.stringify(body) },
      'task creation',
      hooks,
      { create: true },
    );
    if (!created.task_id) throw new GenerationError('minimax', 'failed', 'task creation answered without a task_id');
    hooks.log?.(`minimax: task ${created.task_id} created (${row.id}, ${request.durationSeconds} s)`);
    return {
      backend: 'minimax',
      model: row.id,
      taskId: String(created.task_id),
      createdAt: new Date().toISOString(),
      handles: { protocol: 'minimax-v1' },
    };
  }

  /** Polls the task to its end and downloads its clip; an abandoned task is cancelled where MiniMax can. */
  private async follow(
    task: VendorTaskRecord,
    request: GenerateRequest,
    hooks: GenerateHooks,
    deadline: number,
    resumed = false,
  ): Promise<GenerateResult> {
    const { signal, log } = hooks;
    const interval = pollInterval(this.settings, this.pollFloor);
    if (interval.raised) log?.(raisedIntervalLine('minimax', this.settings, this.pollFloor));
    const poll = { backend: 'minimax', taskId: task.taskId, intervalMs: interval.ms, deadline, signal };
    try {
      const url =
        task.handles?.protocol === 'minimax-v2'
          ? await this.pollV2(task.taskId, poll, hooks, resumed)
          : await this.pollV1(task.taskId, poll, hooks, resumed);
      await downloadVideo(
        url,
        request.outputPath,
        downloadOptions('minimax', this.settings, hooks, hostsOf(this.section.base_url)),
      );
      return { path: request.outputPath, costUsd: this.estimateCost(request.durationSeconds) };
    } catch (err) {
      if (abandonsTask(err, signal)) await this.cancelTask(task, log);
      throw err;
    }
  }

  private pollV2(
    taskId: string,
    poll: Parameters<typeof pollTask>[1],
    hooks: GenerateHooks,
    resumed: boolean,
  ): Promise<string> {
    return pollTask<string>(async () => {
      const answer = await this.call<Answer & { task?: MinimaxV2Task }>(
        `${this.root}/v2/query/video_generation/${encodeURIComponent(taskId)}`,
        {},
        `task ${taskId}`,
        hooks,
      ).catch((err: unknown) => {
        // A re-attached task MiniMax no longer knows: "invalid task_id" (400, code 2013) or a 404.
        if (
          resumed &&
          err instanceof VendorError &&
          (err.status === 404 ||
            (err.status === 400 &&
              /\(2013\)\s*$/.test(String((err.body as { error?: { message?: string } } | null)?.error?.message ?? ''))))
        )
          throw new TaskGoneError('minimax', taskId);
        throw minimaxV2Failure(err, `task ${taskId}`);
      });
      const task = answer.task ?? {};
      if (task.status === 'succeeded') {
        if (!task.content?.url)
          throw new GenerationError('minimax', 'no-output', `task ${taskId} succeeded without content.url`);
        return { done: true, value: task.content.url };
      }
      if (task.status === 'queued' || task.status === 'running') return { done: false };
      throw minimaxV2TaskFailure(task, taskId);
    }, poll);
  }

  private async pollV1(
    taskId: string,
    poll: Parameters<typeof pollTask>[1],
    hooks: GenerateHooks,
    resumed: boolean,
  ): Promise<string> {
    const fileId = await pollTask<string>(async () => {
      const q = `/query/video_generation?task_id=${encodeURIComponent(taskId)}`;
      const t = await this.call<Answer & { status?: string; file_id?: string }>(
        q,
        {},
        `task ${taskId}`,
        hooks,
        resumed ? { goneTaskId: taskId } : {},
      );
      if (t.status === 'Success') {
        if (!t.file_id) throw new GenerationError('minimax', 'no-output', `task ${taskId} succeeded without a file_id`);
        return { done: true, value: t.file_id };
      }
      if (t.status === 'Fail')
        throw new GenerationError('minimax', 'failed', `task ${taskId} failed (MiniMax reported status Fail)`);
      return { done: false };
    }, poll);
    const file = await this.call<Answer & { file?: { download_url?: string } }>(
      `/files/retrieve?file_id=${encodeURIComponent(fileId)}`,
      {},
      `file ${fileId}`,
      hooks,
    );
    const url = file.file?.download_url;
    if (!url) throw new GenerationError('minimax', 'no-output', `file ${fileId} has no download_url`);
    return url;
  }
}
