// MiniMax's Video Generation V2 API (the H3 models): the request body, the task it answers with,
// and what its errors mean. The flow: POST /v2/video_generation → {task_id}; GET
// /v2/query/video_generation/{task_id} → {task: {status queued | running | succeeded | failed |
// cancelled | expired, content.url, error {code, message}}}; the clip is downloaded from
// task.content.url (no file step as in v1); DELETE /v2/video_generation/{task_id} cancels a task
// that is still queued (a running one cannot be cancelled; a finished one is deleted).
// Inputs are a `content[]` array: a text item, and image_url items with the roles first_frame /
// last_frame; `ratio` is a concrete aspect for text-only requests and "adaptive" when the clip
// follows its frames; `resolution` and `duration` are required. ttv polls, so it sends no
// callback_url (MiniMax would call it back and expects its challenge echoed within 3 s).
// Errors are real HTTP statuses with {type: "error", error: {type, message, http_code}} — 401
// authorized_error, 400 bad_request_error, 402 insufficient_balance_error, 422
// unprocessable_entity_error (sensitive content), 429 rate_limit_error, 5xx/529 — the message
// ending in MiniMax's own code, e.g. "(1026)"; a failed task's error.code is a string ("1026").
// Sources, read 2026-12-06: MiniMax's V2 reference pages (platform.minimax.io/docs/api-reference/
// video-generation-v2-create, -query, -delete) as transcribed in a public review dated 2026-10-07
// that re-checked each fact against them (the pages themselves were not retrievable here), and
// MiniMax's official CLI (github.com/MiniMax-AI/cli: src/types/api.ts VideoV2Request/VideoV2Task,
// src/video/v2.ts, src/errors/api.ts, src/client/endpoints.ts). Confidence: high for paths, fields
// and statuses (two independent sources agree), medium for the error body and the DELETE answer.
// DELETE's rule itself is MiniMax's "Cancel or Delete Task" page (platform.minimax.io/docs/
// api-reference/video-generation-v2-delete, read 2026-12-06): queued → cancelled with no charge,
// succeeded/failed → deleted, running or cancelled → an error.
import type { CatalogRow } from '../../config/catalog-row-schema.js';
import { wireRatio } from '../../catalog/model-rules.js';
import { GenerationError } from '../../errors/generation-error.js';
import { VendorError } from '../../errors/vendor-error.js';

export type MinimaxV2Content =
  | { type: 'text'; text: string }
  | { type: 'image_url'; image_url: { url: string }; role: 'first_frame' | 'last_frame' };

export interface MinimaxV2Request {
  model: string;
  content: MinimaxV2Content[];
  resolution: string;
  duration: number;
  ratio?: string;
}

export interface MinimaxV2Task {
  id?: string;
  status?: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'expired' | string;
  content?: { url?: string };
  error?: { code?: string; message?: string };
  usage?: { output_seconds?: number; total_seconds?: number };
}

/** The API root of a configured base_url: minimax.base_url names the v1 prefix (".../v1"), V2 lives beside it. */
export function minimaxApiRoot(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '');
}

/** The V2 create body of one clip; frames are data URIs. */
export function minimaxV2Body(
  row: CatalogRow,
  input: {
    prompt: string;
    durationSeconds: number;
    aspectRatio?: string;
    resolution?: string;
    firstFrame?: string;
    lastFrame?: string;
  },
): MinimaxV2Request {
  const content: MinimaxV2Content[] = [{ type: 'text', text: input.prompt }];
  if (input.firstFrame) content.push({ type: 'image_url', image_url: { url: input.firstFrame }, role: 'first_frame' });
  if (input.firstFrame && input.lastFrame && row.modes.first_last)
    content.push({ type: 'image_url', image_url: { url: input.lastFrame }, role: 'last_frame' });
  const resolution = input.resolution ?? row.resolutions?.[0];
  if (!resolution)
    throw new GenerationError(
      'minimax',
      'config',
      `${row.id} has no resolutions in its catalog row; MiniMax V2 requires one`,
    );
  const body: MinimaxV2Request = { model: row.id, content, resolution, duration: input.durationSeconds };
  // With frames the clip takes their shape ("adaptive"); text alone needs a concrete aspect.
  const ratio = input.firstFrame
    ? row.modes.image === 'follows-image'
      ? row.wire?.follows_image_ratio
      : wireRatio(row, 'image', input.aspectRatio)
    : wireRatio(row, 'text', input.aspectRatio);
  if (ratio) body.ratio = ratio;
  return body;
}

/** MiniMax's own code at the end of a V2 error message: "… (1026)". */
function codeOf(message: string): string | null {
  return /\((\d{3,5})\)\s*$/.exec(message)?.[1] ?? null;
}

const SENSITIVE = new Set(['1026', '1027']);

/** A V2 HTTP error as ttv's error: a wrong key or no balance is the config's, sensitive content a refusal. */
export function minimaxV2Failure(err: unknown, what: string): unknown {
  if (!(err instanceof VendorError) || err.status === null) return err;
  const body = err.body as { error?: { type?: string; message?: string } } | null;
  const message = body?.error?.message ?? err.reason;
  const type = body?.error?.type;
  const code = codeOf(message);
  // MiniMax's own words stay in the job log (vendorText); clients read ttv's sentence.
  const vendorText = `${message}${type ? ` (HTTP ${err.status}, ${type})` : ` (HTTP ${err.status})`}`;
  if (err.status === 401 || err.status === 403)
    return new GenerationError(
      'minimax',
      'config',
      `${what} was refused for its key (HTTP ${err.status}); check minimax.api_key (a pay-as-you-go key: MiniMax serves H3 to those)`,
      false,
      { vendorText },
    );
  if (err.status === 402 || type === 'insufficient_balance_error')
    return new GenerationError(
      'minimax',
      'config',
      `${what} was refused: the MiniMax account has no balance left`,
      false,
      { vendorText },
    );
  if (err.status === 422 && (/sensitive/i.test(message) || (code !== null && SENSITIVE.has(code))))
    return new GenerationError('minimax', 'refused', `${what} was refused: content policy`, false, { vendorText });
  if (err.status === 400 || err.status === 422)
    return new GenerationError('minimax', 'invalid', `${what} was refused as invalid (HTTP ${err.status})`, false, {
      vendorText,
    });
  return err;
}

/** A task's terminal failure as ttv's error (sensitive input or output is a refusal). */
export function minimaxV2TaskFailure(task: MinimaxV2Task, taskId: string): GenerationError {
  const code = task.error?.code?.trim();
  const message = task.error?.message?.trim();
  const why = [message, code ? `code ${code}` : null].filter(Boolean).join(', ') || 'no reason given';
  if (task.status === 'cancelled')
    return new GenerationError('minimax', 'failed', `task ${taskId} was cancelled on MiniMax's side`);
  if (task.status === 'expired')
    return new GenerationError('minimax', 'failed', `task ${taskId} expired on MiniMax's side before it finished`);
  const refused = code !== undefined && code !== '' && SENSITIVE.has(code);
  return new GenerationError(
    'minimax',
    refused ? 'refused' : 'failed',
    refused ? `task ${taskId} was refused: content policy` : `task ${taskId} failed`,
    false,
    { vendorText: why },
  );
}
