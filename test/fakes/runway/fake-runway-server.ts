// A protocol-faithful Runway API (api.dev.runwayml.com): Bearer key and X-Runway-Version checked,
// POST /v1/image_to_video and /v1/text_to_video validated like the real API, tasks that move
// PENDING → THROTTLED → RUNNING (with progress) → SUCCEEDED with an output URL on this server, and DELETE
// /v1/tasks/{id}. Outcomes per task are scripted: failure, safety refusal, stuck, vendor-side cancel.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { FakeHttpServer, sampleMp4, type RecordedRequest } from '../shared/fake-http-server.js';

// 'echo-auth': a misbehaving upstream whose failure text echoes the request's Authorization header.
export type RunwayOutcome = 'succeed' | 'fail' | 'safety' | 'stuck' | 'vendor-cancel' | 'echo-auth';

interface Task {
  id: string;
  outcome: RunwayOutcome;
  polls: number;
  deleted: boolean;
  createdAt: string;
}

const RATIOS = ['1280:720', '720:1280', '1104:832', '832:1104', '960:960', '1584:672'];
const TEXT_MODELS = ['gen4.5', 'veo3', 'veo3.1', 'veo3.1_fast'];
const MODELS = ['gen4_turbo', 'gen3a_turbo', ...TEXT_MODELS];

export class FakeRunwayServer extends FakeHttpServer {
  readonly tasks = new Map<string, Task>();
  /** Outcomes of the next created tasks, in order; then 'succeed'. */
  readonly outcomes: RunwayOutcome[] = [];
  /** Polls a task answers before it reaches its outcome. */
  pollsUntilDone = 3;

  constructor(private readonly apiKey: string) {
    super();
  }

  override reset(): void {
    super.reset();
    this.tasks.clear();
    this.outcomes.length = 0;
    this.pollsUntilDone = 3;
  }

  get deletedTaskIds(): string[] {
    return [...this.tasks.values()].filter((t) => t.deleted).map((t) => t.id);
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    const path = req.path.split('?')[0]!;
    if (req.method === 'GET' && path.startsWith('/files/')) return this.serveClip(res, sampleMp4());
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return this.send(res, 401, { error: 'Invalid API key or the key was revoked.' });
    if (req.headers['x-runway-version'] !== '2024-11-06') return this.send(res, 400, { error: 'The X-Runway-Version header is missing or names an unknown version.' });

    if (req.method === 'POST' && (path === '/v1/image_to_video' || path === '/v1/text_to_video')) {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(req.body.toString()) as Record<string, unknown>;
      } catch {
        return this.send(res, 400, { error: 'Body is not valid JSON.' });
      }
      const issues: string[] = [];
      const model = String(body.model);
      if (!MODELS.includes(model)) issues.push(`model: must be one of ${MODELS.join(', ')}`);
      if (path === '/v1/text_to_video' && !TEXT_MODELS.includes(model)) issues.push('model: does not support text_to_video');
      if (typeof body.promptText !== 'string' || body.promptText.length > 1000) issues.push('promptText: string of at most 1000 characters');
      if (!RATIOS.includes(String(body.ratio))) issues.push(`ratio: must be one of ${RATIOS.join(', ')}`);
      if (!Number.isInteger(body.duration) || (body.duration as number) < 2 || (body.duration as number) > 10) issues.push('duration: integer 2–10');
      if (path === '/v1/image_to_video') {
        const images = Array.isArray(body.promptImage) ? (body.promptImage as { uri?: string }[]).map((p) => p.uri) : [body.promptImage];
        if (images.length === 0 || images.some((u) => typeof u !== 'string' || !/^(https:\/\/|data:image\/(png|jpeg|webp);base64,)/.test(u))) issues.push('promptImage: an HTTPS URL or an image data URI');
      }
      if (issues.length) return this.send(res, 400, { error: 'Validation of the request failed.', issues });
      const task: Task = { id: randomUUID(), outcome: this.outcomes.shift() ?? 'succeed', polls: 0, deleted: false, createdAt: new Date().toISOString() };
      this.tasks.set(task.id, task);
      return this.send(res, 200, { id: task.id });
    }

    const match = /^\/v1\/tasks\/([\w-]+)$/.exec(path);
    if (match) {
      const task = this.tasks.get(match[1]!);
      if (!task || task.deleted) return this.send(res, 404, { error: 'Task not found.' });
      if (req.method === 'DELETE') {
        task.deleted = true;
        res.writeHead(204);
        res.end();
        return;
      }
      if (req.method === 'GET') {
        task.polls += 1;
        const base = { id: task.id, createdAt: task.createdAt };
        if (task.outcome === 'stuck' || task.polls <= this.pollsUntilDone) {
          if (task.polls === 1) return this.send(res, 200, { ...base, status: 'PENDING' });
          if (task.polls === 2) return this.send(res, 200, { ...base, status: 'THROTTLED' });
          return this.send(res, 200, { ...base, status: 'RUNNING', progress: Math.min(9, 3 * (task.polls - 2)) / 10 });
        }
        switch (task.outcome) {
          case 'fail':
            return this.send(res, 200, { ...base, status: 'FAILED', failure: 'An unexpected error occurred while generating.', failureCode: 'INTERNAL.BAD_OUTPUT.CODE01' });
          case 'safety':
            return this.send(res, 200, { ...base, status: 'FAILED', failure: 'The prompt was flagged by content moderation.', failureCode: 'SAFETY.INPUT.TEXT' });
          case 'echo-auth':
            return this.send(res, 200, { ...base, status: 'FAILED', failure: `Upstream refused the request {"authorization":"${req.headers.authorization}"}; Authorization: ${req.headers.authorization}`, failureCode: 'INTERNAL.BAD_OUTPUT.CODE01' });
          case 'vendor-cancel':
            return this.send(res, 200, { ...base, status: 'CANCELLED' });
          default:
            return this.send(res, 200, { ...base, status: 'SUCCEEDED', output: [`${this.url}/files/${task.id}.mp4?_jwt=signed-cdn-token`] });
        }
      }
    }
    this.send(res, 404, { error: 'Not found.' });
  }
}
