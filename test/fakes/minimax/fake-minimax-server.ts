// A protocol-faithful MiniMax video API (api.minimax.io/v1): Bearer key, POST /v1/video_generation,
// GET /v1/query/video_generation?task_id= (Preparing → Queueing → Processing → Success | Fail),
// GET /v1/files/retrieve?file_id= with a download_url on this server. Like the real API, most
// errors come back as HTTP 200 with a non-zero base_resp.status_code (1002 rate limit, 1004 auth,
// 1026/1027 sensitive content, 2013 invalid parameters). Bodies are checked per model with ttv's
// capability table: `duration`/`resolution` only for the models MiniMax documents them for, the
// first frame where the model needs one. Every answer carries a Trace-Id header, as MiniMax's do.
import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { sampleMp4, type RecordedRequest } from '../shared/fake-http-server.js';
import { FakeTaskServer } from '../shared/fake-task-server.js';
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { allowedDurations } from '../../../src/catalog/model-rules.js';

const MINIMAX_MODELS = shippedCatalog().rowsFor('minimax');

export type MinimaxOutcome = 'succeed' | 'fail' | 'sensitive-output' | 'stuck';

interface Task {
  id: string;
  outcome: MinimaxOutcome;
  polls: number;
  fileId: string;
}

const ok = { status_code: 0, status_msg: 'success' };

export class FakeMinimaxServer extends FakeTaskServer<Task, MinimaxOutcome> {
  /** In-body rate limits (base_resp 1002) for the next submissions. */
  rateLimitedSubmissions = 0;
  private next = 100;

  override reset(): void {
    super.reset();
    this.rateLimitedSubmissions = 0;
  }

  protected override send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    super.send(res, status, body, { 'trace-id': randomUUID().replace(/-/g, ''), ...headers });
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    const url = new URL(req.path, 'http://fake');
    if (req.method === 'GET' && url.pathname.startsWith('/cdn/')) return this.serveClip(res, sampleMp4());
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return this.send(res, 200, { base_resp: { status_code: 1004, status_msg: 'login fail: Please carry the API secret key in the Authorization field of the request header' } });
    }
    if (req.method === 'POST' && url.pathname === '/v1/video_generation') {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(req.body.toString()) as Record<string, unknown>;
      } catch {
        return this.send(res, 200, { base_resp: { status_code: 2013, status_msg: 'invalid params, body is not JSON' } });
      }
      const model = MINIMAX_MODELS.find((m) => m.id === body.model);
      const invalid = (msg: string) => this.send(res, 200, { task_id: '', base_resp: { status_code: 2013, status_msg: `invalid params, ${msg}` } });
      if (!model) return invalid(`model ${String(body.model)} not supported`);
      if (typeof body.prompt !== 'string' || body.prompt.length > model.max_prompt_length) return invalid('prompt');
      const frame = (v: unknown) => /^(https:\/\/|data:image\/(png|jpeg|webp);base64,)/.test(String(v));
      if (!model.modes.text && !frame(body.first_frame_image)) return invalid(`first_frame_image is required for ${model.id}`);
      if (body.first_frame_image !== undefined && (!model.modes.image || !frame(body.first_frame_image))) return invalid('first_frame_image');
      if (body.last_frame_image !== undefined && !model.modes.first_last) return invalid(`last_frame_image is not supported by ${model.id}`);
      if (body.duration !== undefined && (!model.duration_field || !allowedDurations(model.durations).includes(body.duration as number))) return invalid(`duration ${String(body.duration)} is not supported by ${model.id}`);
      if (body.resolution !== undefined && (!model.resolutions || !model.resolutions.includes(String(body.resolution)))) return invalid(`resolution ${String(body.resolution)} is not supported by ${model.id}`);
      if (body.resolution === '1080P' && body.duration === 10) return invalid('10 s clips are rendered at 768P only');
      if (/forbidden-topic/i.test(String(body.prompt))) return this.send(res, 200, { task_id: '', base_resp: { status_code: 1026, status_msg: 'input new_sensitive' } });
      if (this.rateLimitedSubmissions > 0) {
        this.rateLimitedSubmissions -= 1;
        return this.send(res, 200, { task_id: '', base_resp: { status_code: 1002, status_msg: 'rate limit exceeded(RPM)' } });
      }
      const id = String(this.next++);
      this.tasks.set(id, { id, outcome: this.outcomes.shift() ?? 'succeed', polls: 0, fileId: String(900000 + Number(id)) });
      return this.send(res, 200, { task_id: id, base_resp: ok });
    }
    if (req.method === 'GET' && url.pathname === '/v1/query/video_generation') {
      const task = this.tasks.get(url.searchParams.get('task_id') ?? '');
      if (!task) return this.send(res, 200, { task_id: '', status: '', base_resp: { status_code: 2013, status_msg: 'invalid task_id' } });
      task.polls += 1;
      const states = ['Preparing', 'Queueing', 'Processing'];
      if (task.outcome === 'stuck' || task.polls <= states.length) {
        return this.send(res, 200, { task_id: task.id, status: states[Math.min(task.polls, states.length) - 1], file_id: '', base_resp: ok });
      }
      if (task.outcome === 'fail') return this.send(res, 200, { task_id: task.id, status: 'Fail', file_id: '', base_resp: ok });
      if (task.outcome === 'sensitive-output') return this.send(res, 200, { task_id: task.id, status: 'Fail', file_id: '', base_resp: { status_code: 1027, status_msg: 'output new_sensitive' } });
      return this.send(res, 200, { task_id: task.id, status: 'Success', file_id: task.fileId, video_width: 1280, video_height: 720, base_resp: ok });
    }
    if (req.method === 'GET' && url.pathname === '/v1/files/retrieve') {
      const fileId = url.searchParams.get('file_id');
      const task = [...this.tasks.values()].find((t) => t.fileId === fileId);
      if (!task) return this.send(res, 200, { base_resp: { status_code: 1013, status_msg: 'file not found' } });
      return this.send(res, 200, {
        file: { file_id: Number(fileId), bytes: sampleMp4().length, created_at: Math.floor(Date.now() / 1000), filename: 'output_aigc.mp4', purpose: 'video_generation', download_url: `${this.url}/cdn/${fileId}.mp4?Expires=1999999999&Signature=cdn-secret` },
        base_resp: ok,
      });
    }
    this.send(res, 404, { base_resp: { status_code: 404, status_msg: 'not found' } });
  }
}
