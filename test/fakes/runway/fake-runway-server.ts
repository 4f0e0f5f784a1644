// A protocol-faithful Runway API (api.dev.runwayml.com): Bearer key and X-Runway-Version checked,
// POST /v1/image_to_video and /v1/text_to_video validated like the real API, tasks that move
// PENDING → THROTTLED → RUNNING (with progress) → SUCCEEDED with an output URL on this server, and DELETE
// /v1/tasks/{id}. Outcomes per task are scripted: failure (INTERNAL), a rejected output
// (INTERNAL.BAD_OUTPUT.*, which Runway's task-failures page tells integrators they may retry), a
// safety refusal (SAFETY.*, not worth retrying), stuck, vendor-side cancel. The clip a task hands back
// has the pixel size of the ratio asked for (720:1280 → 720x1280), as Runway's do.
// Bodies are checked per model with ttv's model catalog (src/catalog/vendors/runway.json), taken from the SDK's
// ImageToVideoCreateParams / TextToVideoCreateParams unions: the model must have the endpoint's
// mode, the ratio and duration must be the model's, promptImage positions must be allowed. Every
// answer carries the fields the SDK types as present (estimatedCost while running, cost after).
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sampleMp4, sampleMp4Of, type RecordedRequest } from '../shared/fake-http-server.js';
import { FakeTaskServer } from '../shared/fake-task-server.js';
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { acceptedWireRatios, allowedDurations } from '../../../src/catalog/model-rules.js';

const RUNWAY_MODELS = shippedCatalog().rowsFor('runway');

// 'echo-auth': a misbehaving upstream whose failure text echoes the request's Authorization header.
export type RunwayOutcome = 'succeed' | 'fail' | 'bad-output' | 'safety' | 'stuck' | 'vendor-cancel' | 'echo-auth';

interface Task {
  id: string;
  outcome: RunwayOutcome;
  polls: number;
  deleted: boolean;
  createdAt: string;
  credits: number;
  /** The ratio asked for ("720:1280"): the clip's pixel size. */
  ratio: string;
}

/** Credits per second, from the catalog's list price (1 credit = $0.01). */
const creditsFor = (model: string, seconds: number) => Math.round((RUNWAY_MODELS.find((m) => m.id === model)?.usd_per_second ?? 0.05) * 100 * seconds);

/** What Runway's validation would say of a create body, per the model's SDK params type. */
export function runwayBodyIssues(path: '/v1/image_to_video' | '/v1/text_to_video', body: Record<string, unknown>): string[] {
  const issues: string[] = [];
  const model = RUNWAY_MODELS.find((m) => m.id === body.model);
  const mode = path === '/v1/text_to_video' ? 'text' : 'image';
  if (!model) return [`model: Invalid discriminator value. Expected ${RUNWAY_MODELS.map((m) => `'${m.id}'`).join(' | ')}`];
  const ratios = mode === 'text' ? model.modes.text : model.modes.image;
  if (!ratios || ratios === 'follows-image') return [`model: ${model.id} is not available for ${path.slice(4)}`];
  const wire = acceptedWireRatios(model, mode);
  if (!wire.includes(String(body.ratio))) issues.push(`ratio: Invalid enum value. Expected ${wire.map((r) => `'${r}'`).join(' | ')}, received '${String(body.ratio)}'`);
  const durationRequired = model.id === 'gen4.5';
  if (body.duration === undefined) {
    if (durationRequired) issues.push('duration: Required');
  } else if (!allowedDurations(model.durations).includes(body.duration as number)) {
    issues.push(`duration: Invalid value. Expected ${allowedDurations(model.durations).join(' | ')}, received ${JSON.stringify(body.duration)}`);
  }
  const textRequired = mode === 'text' || model.id === 'gen4.5';
  if (body.promptText === undefined ? textRequired : typeof body.promptText !== 'string' || !body.promptText || body.promptText.length > 1000) {
    issues.push('promptText: a non-empty string of at most 1000 characters');
  }
  if (mode === 'image') {
    const list = Array.isArray(body.promptImage) ? (body.promptImage as { uri?: unknown; position?: unknown }[]) : [{ uri: body.promptImage, position: 'first' }];
    const uriOk = (u: unknown) => typeof u === 'string' && /^(https:\/\/|runway:\/\/|data:image\/(png|jpeg|webp);base64,)/.test(u);
    if (list.length === 0 || list.some((p) => !uriOk(p.uri))) issues.push('promptImage: an HTTPS URL, Runway upload URI or image data URI');
    for (const p of list) {
      if (p.position !== 'first' && !(p.position === 'last' && model.modes.first_last)) issues.push(`promptImage.position: Invalid enum value. Expected ${model.modes.first_last ? "'first' | 'last'" : "'first'"}, received '${String(p.position)}'`);
    }
    if (list.length > 0 && !list.some((p) => p.position === 'first')) issues.push('promptImage: a first frame is required');
  } else if (body.promptImage !== undefined) {
    issues.push('promptImage: Unrecognized key for text_to_video');
  }
  if (body.audio !== undefined && model.audio === 'none') issues.push("audio: Unrecognized key(s) in object: 'audio'");
  return issues;
}

export class FakeRunwayServer extends FakeTaskServer<Task, RunwayOutcome> {
  /** Polls a task answers before it reaches its outcome. */
  pollsUntilDone = 3;

  override reset(): void {
    super.reset();
    this.pollsUntilDone = 3;
  }

  get deletedTaskIds(): string[] {
    return [...this.tasks.values()].filter((t) => t.deleted).map((t) => t.id);
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    const path = req.path.split('?')[0]!;
    if (req.method === 'GET' && path.startsWith('/files/')) {
      const task = this.tasks.get(/^\/files\/([\w-]+)\.mp4$/.exec(path)?.[1] ?? '');
      const [w, h] = (task?.ratio ?? '').split(':').map(Number);
      return this.serveClip(res, w && h ? sampleMp4Of(w, h) : sampleMp4());
    }
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return this.send(res, 401, { error: 'Invalid API key or the key was revoked.' });
    if (req.headers['x-runway-version'] !== '2024-11-06') return this.send(res, 400, { error: 'The X-Runway-Version header is missing or names an unknown version.' });

    if (req.method === 'POST' && (path === '/v1/image_to_video' || path === '/v1/text_to_video')) {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(req.body.toString()) as Record<string, unknown>;
      } catch {
        return this.send(res, 400, { error: 'Body is not valid JSON.' });
      }
      const issues = runwayBodyIssues(path, body);
      if (issues.length) return this.send(res, 400, { error: 'Validation of the request failed.', issues });
      const credits = creditsFor(String(body.model), typeof body.duration === 'number' ? body.duration : 5);
      const task: Task = { id: randomUUID(), outcome: this.outcomes.shift() ?? 'succeed', polls: 0, deleted: false, createdAt: new Date().toISOString(), credits, ratio: String(body.ratio) };
      this.tasks.set(task.id, task);
      return this.send(res, 200, { id: task.id, estimatedCost: { credits } });
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
        const running = { id: task.id, createdAt: task.createdAt, estimatedCost: { credits: task.credits } };
        const base = { id: task.id, createdAt: task.createdAt, cost: { credits: task.outcome === 'succeed' ? task.credits : 0 } };
        if (task.outcome === 'stuck' || task.polls <= this.pollsUntilDone) {
          const base = running;
          if (task.polls === 1) return this.send(res, 200, { ...base, status: 'PENDING' });
          if (task.polls === 2) return this.send(res, 200, { ...base, status: 'THROTTLED' });
          return this.send(res, 200, { ...base, status: 'RUNNING', progress: Math.min(9, 3 * (task.polls - 2)) / 10 });
        }
        switch (task.outcome) {
          case 'fail':
            return this.send(res, 200, { ...base, status: 'FAILED', failure: 'An unexpected error occurred.', failureCode: 'INTERNAL' });
          case 'bad-output':
            return this.send(res, 200, { ...base, status: 'FAILED', failure: 'The output did not pass our quality checks.', failureCode: 'INTERNAL.BAD_OUTPUT.CODE01' });
          case 'safety':
            return this.send(res, 200, { ...base, status: 'FAILED', failure: 'The prompt was flagged by content moderation.', failureCode: 'SAFETY.INPUT.TEXT' });
          case 'echo-auth':
            return this.send(res, 200, { ...base, status: 'FAILED', failure: `Upstream refused the request {"authorization":"${req.headers.authorization}"}; Authorization: ${req.headers.authorization}`, failureCode: 'INTERNAL' });
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
