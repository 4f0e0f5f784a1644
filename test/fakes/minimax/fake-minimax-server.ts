// A protocol-faithful MiniMax video API (api.minimax.io), both generations of it.
// v1 (/v1): Bearer key, POST /v1/video_generation, GET /v1/query/video_generation?task_id=
// (Preparing → Queueing → Processing → Success | Fail), GET /v1/files/retrieve?file_id= with a
// download_url on this server. Like the real API, most v1 errors come back as HTTP 200 with a
// non-zero base_resp.status_code (1002 rate limit, 1004 auth, 1026/1027 sensitive content, 2013
// invalid parameters). v1 bodies are checked per model with ttv's catalog rows of protocol minimax-v1.
// V2 (/v2, the H3 models): POST /v2/video_generation checked against MiniMax's V2 reference
// (minimax-v2-rules.ts, not ttv's catalog), GET /v2/query/video_generation/{task_id} moving queued →
// running → succeeded (task.content.url on this server) | failed (error.code "1024"/"1027") |
// cancelled | expired, DELETE /v2/video_generation/{task_id} (a queued task is cancelled, a finished
// one deleted, a running or cancelled one answers an error). V2 errors are real HTTP statuses with
// {type:"error", error:{type, message, http_code}, request_id}, the message ending in MiniMax's code.
// Every answer carries a Trace-Id header, as MiniMax's do.
import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { sampleMp4, type RecordedRequest } from '../shared/fake-http-server.js';
import { FakeTaskServer } from '../shared/fake-task-server.js';
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { allowedDurations } from '../../../src/catalog/model-rules.js';
import { minimaxV2BodyIssues } from './minimax-v2-rules.js';

const MINIMAX_MODELS = shippedCatalog()
  .rowsFor('minimax')
  .filter((r) => r.protocol === 'minimax-v1');

// 'stuck' stays queued (v1: Preparing), 'stuck-running' stays running; 'vendor-cancel' and
// 'expired' are V2's own terminal states.
export type MinimaxOutcome =
  'succeed' | 'fail' | 'sensitive-output' | 'stuck' | 'stuck-running' | 'vendor-cancel' | 'expired';

interface Task {
  id: string;
  outcome: MinimaxOutcome;
  polls: number;
  fileId: string;
  /** V2 tasks: the create body, and whether DELETE cancelled or removed it. */
  v2?: { body: Record<string, unknown>; cancelled: boolean; deleted: boolean; createdAt: number };
}

/** A V2 error answer: the real HTTP status and MiniMax's OpenAI-style body. */
function v2Error(status: number, type: string, message: string): { status: number; body: unknown } {
  return {
    status,
    body: {
      type: 'error',
      error: { type, message, http_code: String(status) },
      request_id: randomUUID().replace(/-/g, ''),
    },
  };
}

const ok = { status_code: 0, status_msg: 'success' };

export class FakeMinimaxServer extends FakeTaskServer<Task, MinimaxOutcome> {
  /** In-body rate limits (base_resp 1002; V2: HTTP 429) for the next submissions. */
  rateLimitedSubmissions = 0;
  /** V2 polls a task answers queued/running before its outcome. */
  pollsUntilDone = 3;
  /**
   * The next this-many creates (v1 or V2) make their task and then answer HTTP 500 (a gateway that
   * failed after the task was stored): what a blind re-create pays twice for.
   */
  failAfterCreate = 0;
  private next = 100;

  /** Ids of V2 tasks cancelled with DELETE while queued. */
  get cancelledTaskIds(): string[] {
    return [...this.tasks.values()].filter((t) => t.v2?.cancelled).map((t) => t.id);
  }

  override reset(): void {
    super.reset();
    this.rateLimitedSubmissions = 0;
    this.pollsUntilDone = 3;
    this.failAfterCreate = 0;
  }

  /** Tasks created so far (every accepted create, whatever it answered). */
  get createCount(): number {
    return this.tasks.size;
  }

  /** A 500 after the task was stored, when a test asks for one. */
  private failedAfterCreate(res: ServerResponse, v2: boolean): boolean {
    if (this.failAfterCreate <= 0) return false;
    this.failAfterCreate -= 1;
    if (v2) this.sendV2Error(res, v2Error(500, 'api_error', 'internal error (1024)'));
    else this.send(res, 500, { base_resp: { status_code: 1024, status_msg: 'internal error' } });
    return true;
  }

  protected override send(
    res: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    super.send(res, status, body, { 'trace-id': randomUUID().replace(/-/g, ''), ...headers });
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    const url = new URL(req.path, 'http://fake');
    if (req.method === 'GET' && url.pathname.startsWith('/cdn/')) return this.serveClip(res, sampleMp4());
    if (url.pathname.startsWith('/v2/')) return this.handleV2(req, res, url);
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return this.send(res, 200, {
        base_resp: {
          status_code: 1004,
          status_msg: 'login fail: Please carry the API secret key in the Authorization field of the request header',
        },
      });
    }
    if (req.method === 'POST' && url.pathname === '/v1/video_generation') {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(req.body.toString()) as Record<string, unknown>;
      } catch {
        return this.send(res, 200, {
          base_resp: { status_code: 2013, status_msg: 'invalid params, body is not JSON' },
        });
      }
      const model = MINIMAX_MODELS.find((m) => m.id === body.model);
      const invalid = (msg: string) =>
        this.send(res, 200, { task_id: '', base_resp: { status_code: 2013, status_msg: `invalid params, ${msg}` } });
      if (!model) return invalid(`model ${String(body.model)} not supported`);
      if (typeof body.prompt !== 'string' || body.prompt.length > model.max_prompt_length) return invalid('prompt');
      const frame = (v: unknown) => /^(https:\/\/|data:image\/(png|jpeg|webp);base64,)/.test(String(v));
      if (!model.modes.text && !frame(body.first_frame_image))
        return invalid(`first_frame_image is required for ${model.id}`);
      if (body.first_frame_image !== undefined && (!model.modes.image || !frame(body.first_frame_image)))
        return invalid('first_frame_image');
      if (body.last_frame_image !== undefined && !model.modes.first_last)
        return invalid(`last_frame_image is not supported by ${model.id}`);
      if (
        body.duration !== undefined &&
        (!model.duration_field || !allowedDurations(model.durations).includes(body.duration as number))
      )
        return invalid(`duration ${String(body.duration)} is not supported by ${model.id}`);
      if (body.resolution !== undefined && (!model.resolutions || !model.resolutions.includes(String(body.resolution))))
        return invalid(`resolution ${String(body.resolution)} is not supported by ${model.id}`);
      if (body.resolution === '1080P' && body.duration === 10) return invalid('10 s clips are rendered at 768P only');
      if (/forbidden-topic/i.test(String(body.prompt)))
        return this.send(res, 200, {
          task_id: '',
          base_resp: { status_code: 1026, status_msg: 'input new_sensitive' },
        });
      if (this.rateLimitedSubmissions > 0) {
        this.rateLimitedSubmissions -= 1;
        return this.send(res, 200, {
          task_id: '',
          base_resp: { status_code: 1002, status_msg: 'rate limit exceeded(RPM)' },
        });
      }
      const id = String(this.next++);
      this.tasks.set(id, {
        id,
        outcome: this.outcomes.shift() ?? 'succeed',
        polls: 0,
        fileId: String(900000 + Number(id)),
      });
      if (this.failedAfterCreate(res, false)) return;
      return this.send(res, 200, { task_id: id, base_resp: ok });
    }
    if (req.method === 'GET' && url.pathname === '/v1/query/video_generation') {
      const task = this.tasks.get(url.searchParams.get('task_id') ?? '');
      if (!task)
        return this.send(res, 200, {
          task_id: '',
          status: '',
          base_resp: { status_code: 2013, status_msg: 'invalid task_id' },
        });
      task.polls += 1;
      const states = ['Preparing', 'Queueing', 'Processing'];
      if (task.outcome === 'stuck' || task.polls <= states.length) {
        return this.send(res, 200, {
          task_id: task.id,
          status: states[Math.min(task.polls, states.length) - 1],
          file_id: '',
          base_resp: ok,
        });
      }
      if (task.outcome === 'fail')
        return this.send(res, 200, { task_id: task.id, status: 'Fail', file_id: '', base_resp: ok });
      if (task.outcome === 'sensitive-output')
        return this.send(res, 200, {
          task_id: task.id,
          status: 'Fail',
          file_id: '',
          base_resp: { status_code: 1027, status_msg: 'output new_sensitive' },
        });
      return this.send(res, 200, {
        task_id: task.id,
        status: 'Success',
        file_id: task.fileId,
        video_width: 1280,
        video_height: 720,
        base_resp: ok,
      });
    }
    if (req.method === 'GET' && url.pathname === '/v1/files/retrieve') {
      const fileId = url.searchParams.get('file_id');
      const task = [...this.tasks.values()].find((t) => t.fileId === fileId);
      if (!task) return this.send(res, 200, { base_resp: { status_code: 1013, status_msg: 'file not found' } });
      return this.send(res, 200, {
        file: {
          file_id: Number(fileId),
          bytes: sampleMp4().length,
          created_at: Math.floor(Date.now() / 1000),
          filename: 'output_aigc.mp4',
          purpose: 'video_generation',
          download_url: `${this.url}/cdn/${fileId}.mp4?Expires=1999999999&Signature=cdn-secret`,
        },
        base_resp: ok,
      });
    }
    this.send(res, 404, { base_resp: { status_code: 404, status_msg: 'not found' } });
  }

  private sendV2Error(res: ServerResponse, error: { status: number; body: unknown }): void {
    this.send(res, error.status, error.body);
  }

  private handleV2(req: RecordedRequest, res: ServerResponse, url: URL): void {
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return this.sendV2Error(
        res,
        v2Error(
          401,
          'authorized_error',
          "login fail: Please carry the API secret key in the 'Authorization' field of the request header (1004)",
        ),
      );
    }
    if (req.method === 'POST' && url.pathname === '/v2/video_generation') {
      if (req.body.length > 64 * 1024 * 1024)
        return this.sendV2Error(
          res,
          v2Error(400, 'bad_request_error', 'invalid params, request body exceeds 64MB (2013)'),
        );
      let body: unknown;
      try {
        body = JSON.parse(req.body.toString());
      } catch {
        return this.sendV2Error(res, v2Error(400, 'bad_request_error', 'invalid params, body is not JSON (2013)'));
      }
      const issues = minimaxV2BodyIssues(body);
      if (issues.length)
        return this.sendV2Error(res, v2Error(400, 'bad_request_error', `invalid params, ${issues.join('; ')} (2013)`));
      const b = body as Record<string, unknown>;
      const text = (b.content as { type?: string; text?: string }[])
        .filter((i) => i.type === 'text')
        .map((i) => i.text)
        .join(' ');
      if (/forbidden-topic/i.test(text))
        return this.sendV2Error(
          res,
          v2Error(
            422,
            'unprocessable_entity_error',
            'input new_sensitive, the content contains sensitive content (1026)',
          ),
        );
      if (this.rateLimitedSubmissions > 0) {
        this.rateLimitedSubmissions -= 1;
        return this.sendV2Error(res, v2Error(429, 'rate_limit_error', 'rate limit exceeded(RPM) (1002)'));
      }
      const id = String(400_000_000_000_000 + this.next++);
      this.tasks.set(id, {
        id,
        outcome: this.outcomes.shift() ?? 'succeed',
        polls: 0,
        fileId: '',
        v2: { body: b, cancelled: false, deleted: false, createdAt: Math.floor(Date.now() / 1000) },
      });
      if (this.failedAfterCreate(res, true)) return;
      return this.send(res, 200, { task_id: id });
    }
    const query = /^\/v2\/query\/video_generation\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && query) {
      const task = this.tasks.get(decodeURIComponent(query[1]!));
      if (!task?.v2 || task.v2.deleted)
        return this.sendV2Error(res, v2Error(400, 'bad_request_error', 'invalid task_id (2013)'));
      task.polls += 1;
      const { body } = task.v2;
      const base = {
        id: task.id,
        model: body.model,
        created_at: task.v2.createdAt,
        updated_at: Math.floor(Date.now() / 1000),
        resolution: body.resolution,
        duration: body.duration,
        ratio: body.ratio ?? 'adaptive',
        task_type: 'generation',
      };
      const status = this.v2Status(task);
      if (status === 'succeeded') {
        return this.send(res, 200, {
          task: {
            ...base,
            status,
            content: { url: `${this.url}/cdn/v2/${task.id}/output.mp4?Expires=1999999999&Signature=cdn-secret` },
            usage: { output_seconds: body.duration, total_seconds: body.duration },
          },
        });
      }
      if (status === 'failed') {
        const error =
          task.outcome === 'sensitive-output'
            ? { code: '1027', message: 'output new_sensitive' }
            : { code: '1024', message: 'internal error' };
        return this.send(res, 200, { task: { ...base, status, error } });
      }
      return this.send(res, 200, { task: { ...base, status } });
    }
    const remove = /^\/v2\/video_generation\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && remove) {
      const task = this.tasks.get(decodeURIComponent(remove[1]!));
      if (!task?.v2 || task.v2.deleted)
        return this.sendV2Error(res, v2Error(400, 'bad_request_error', 'invalid task_id (2013)'));
      const status = this.v2Status(task);
      if (status === 'queued') {
        task.v2.cancelled = true;
        return this.send(res, 200, { task_id: task.id, status: 'cancelled' });
      }
      if (status === 'succeeded' || status === 'failed') {
        task.v2.deleted = true;
        return this.send(res, 200, { task_id: task.id, status: 'deleted' });
      }
      return this.sendV2Error(
        res,
        v2Error(400, 'bad_request_error', `task ${task.id} is ${status} and cannot be cancelled or deleted (2013)`),
      );
    }
    this.sendV2Error(res, v2Error(404, 'not_found_error', 'not found'));
  }

  /** A V2 task's status now: queued, then running, then its outcome after pollsUntilDone polls. */
  private v2Status(task: Task): string {
    if (task.v2?.cancelled) return 'cancelled';
    if (task.outcome === 'stuck') return 'queued';
    if (task.outcome === 'stuck-running') return task.polls <= 1 ? 'queued' : 'running';
    if (task.polls <= this.pollsUntilDone) return task.polls <= 1 ? 'queued' : 'running';
    switch (task.outcome) {
      case 'fail':
      case 'sensitive-output':
        return 'failed';
      case 'vendor-cancel':
        return 'cancelled';
      case 'expired':
        return 'expired';
      default:
        return 'succeeded';
    }
  }
}
