// A protocol-faithful Runway API (api.dev.runwayml.com): Bearer key and X-Runway-Version checked,
// POST /v1/image_to_video and /v1/text_to_video validated like the real API, tasks that move
// PENDING → THROTTLED → RUNNING (with progress) → SUCCEEDED with an output URL on this server, and DELETE
// /v1/tasks/{id}. Outcomes per task are scripted: failure (INTERNAL), a rejected output
// (INTERNAL.BAD_OUTPUT.*, which Runway's task-failures page tells integrators they may retry), a
// safety refusal (SAFETY.*, not worth retrying), stuck, vendor-side cancel. The clip a task hands back
// has the pixel size of the ratio asked for (720:1280 → 720x1280), as Runway's do.
// A create body is checked first against the installed @runwayml/sdk's own params type for its model
// (runway-sdk-params.ts: the union member, its literal ratios and durations, required fields, no
// unknown keys), then against what Runway documents beyond the types (runway-model-rules.ts:
// duration ranges, prompt lengths, keyframe rules); a refusal is Runway's 400 `{error, issues}`.
// Neither check reads ttv's catalog. Every answer carries the fields the SDK types as present
// (estimatedCost while running, cost after).
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sampleMp4, sampleMp4Of, type RecordedRequest } from '../shared/fake-http-server.js';
import { FakeTaskServer } from '../shared/fake-task-server.js';
import { shapeIssues } from '../shared/sdk-type-shape.js';
import { runwayModelShapes, type RunwayVideoPath } from './runway-sdk-params.js';
import { RUNWAY_MODEL_RULES, type RunwayModelRule } from './runway-model-rules.js';

// 'echo-auth': a misbehaving upstream whose failure text echoes the request's Authorization header.
// 'reject-echo-key': a misbehaving upstream that refuses the create call (400) with an error text
// echoing the bare key, longer than any cut a client makes of it.
export type RunwayOutcome =
  'succeed' | 'fail' | 'bad-output' | 'safety' | 'stuck' | 'vendor-cancel' | 'echo-auth' | 'reject-echo-key';

interface Task {
  id: string;
  outcome: RunwayOutcome;
  polls: number;
  deleted: boolean;
  createdAt: string;
  credits: number;
  /** The ratio asked for ("720:1280"): the clip's pixel size; none when the model follows the frame (or "auto"-like values). */
  ratio?: string;
}

/** Data URIs Runway accepts for images: "up to 5MB" ([sdk] promptImage doc comment). */
const MAX_DATA_URI_BYTES = 5 * 1024 * 1024;

/** Width and height of a PNG (its IHDR chunk), or null for another format. */
function pngSize(bytes: Buffer): { width: number; height: number } | null {
  if (bytes.length < 24 || bytes.readUInt32BE(0) !== 0x89504e47 || bytes.toString('latin1', 12, 16) !== 'IHDR')
    return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

function uriIssues(uri: unknown, rule: RunwayModelRule, at: string): string[] {
  if (typeof uri !== 'string' || !/^(https:\/\/|runway:\/\/|data:image\/(png|jpeg|webp);base64,)/.test(uri))
    return [`${at}: an HTTPS URL, Runway upload URI or image data URI`];
  if (!uri.startsWith('data:')) return [];
  const bytes = Buffer.from(uri.slice(uri.indexOf(',') + 1), 'base64');
  if (bytes.length > MAX_DATA_URI_BYTES) return [`${at}: a data URI of at most 5MB`];
  const size = rule.minImageSide ? pngSize(bytes) : null;
  if (size && Math.min(size.width, size.height) < rule.minImageSide!)
    return [
      `${at}: each image must be at least ${rule.minImageSide} pixels on both sides (got ${size.width}x${size.height})`,
    ];
  return [];
}

/** The documented checks beyond the SDK types, on a body whose shape already fits its model's type. */
function ruleIssues(path: RunwayVideoPath, body: Record<string, unknown>, rule: RunwayModelRule): string[] {
  const issues: string[] = [];
  const { duration, promptText, ratio } = body;
  if (typeof duration === 'number') {
    const ok =
      Number.isInteger(duration) &&
      ('list' in rule.seconds
        ? rule.seconds.list.includes(duration)
        : duration >= rule.seconds.min && duration <= rule.seconds.max);
    if (!ok)
      issues.push(
        `duration: ${'list' in rule.seconds ? `one of ${rule.seconds.list.join(', ')}` : `an integer from ${rule.seconds.min} to ${rule.seconds.max}`}, received ${duration}`,
      );
  }
  if (typeof promptText === 'string' && (!promptText.trim() || promptText.length > rule.promptMax))
    issues.push(`promptText: a non-empty string of at most ${rule.promptMax} characters`);
  if (path === '/v1/text_to_video') {
    if (rule.textRefusesRatio !== undefined && ratio === rule.textRefusesRatio)
      issues.push(
        `ratio: ${String(ratio)} needs an image or video reference; text-only requests require a concrete ratio`,
      );
    return issues;
  }
  const images =
    typeof body.promptImage === 'string'
      ? [{ uri: body.promptImage, position: 'first' as unknown }]
      : (body.promptImage as unknown[]);
  if (images.length === 0) issues.push('promptImage: at least one image');
  images.forEach((image, i) => {
    const at = `promptImage[${i}]`;
    if (typeof image !== 'object' || image === null || Array.isArray(image))
      return void issues.push(`${at}: an object {uri, position}`);
    const { uri, position, ...rest } = image as Record<string, unknown>;
    if (Object.keys(rest).length) issues.push(`${at}: Unrecognized key: '${Object.keys(rest)[0]}'`);
    if (position !== undefined && position !== 'first' && position !== 'last')
      issues.push(
        `${at}.position: Invalid enum value. Expected 'first' | 'last', received ${JSON.stringify(position)}`,
      );
    issues.push(...uriIssues(uri, rule, `${at}.uri`));
  });
  const positions = images.map((i) => (i as { position?: unknown } | null)?.position);
  const keyframes = positions.filter((p) => p !== undefined);
  if (keyframes.length > 0 && keyframes.length < positions.length)
    issues.push('promptImage: keyframe images (with a position) and reference images (without) cannot be mixed');
  if (keyframes.filter((p) => p === 'first').length > 1 || keyframes.filter((p) => p === 'last').length > 1)
    issues.push('promptImage: at most one first and one last frame');
  if (rule.lastNeedsFirst && keyframes.includes('last') && !keyframes.includes('first'))
    issues.push('promptImage: a last frame requires a first frame');
  if (
    rule.keyframeRatios &&
    keyframes.length > 0 &&
    ratio !== undefined &&
    !rule.keyframeRatios.includes(String(ratio))
  ) {
    issues.push(
      `ratio: keyframe image-to-video requests must use ${rule.keyframeRatios.join(', ')} (the shape follows the first frame), received '${String(ratio)}'`,
    );
  }
  return issues;
}

/** What Runway's validation would say of a create body, per the model's SDK params type and its documented rules. */
export function runwayBodyIssues(path: RunwayVideoPath, body: Record<string, unknown>): string[] {
  const shapes = runwayModelShapes(path);
  const shape = shapes.get(String(body.model));
  if (!shape) {
    const other = runwayModelShapes(path === '/v1/text_to_video' ? '/v1/image_to_video' : '/v1/text_to_video');
    if (other.has(String(body.model))) return [`model: ${String(body.model)} is not available for ${path.slice(4)}`];
    return [`model: Invalid discriminator value. Expected ${[...shapes.keys()].map((m) => `'${m}'`).join(' | ')}`];
  }
  const typed = shapeIssues(body, shape).map((i) => `${i.path}: ${i.message}`);
  if (typed.length) return typed;
  const rule = RUNWAY_MODEL_RULES[String(body.model)];
  // A model a newer SDK added but the fake has no documented rule for: say so loudly, accept nothing.
  if (!rule)
    return [`model: the fake has no documented rule for ${String(body.model)} (add it to runway-model-rules.ts)`];
  return ruleIssues(path, body, rule);
}

/** The task's credits: the model's rate times the clip length (`auto` is billed at the maximum up front). */
function creditsFor(body: Record<string, unknown>): number {
  const rule = RUNWAY_MODEL_RULES[String(body.model)];
  if (!rule) return 0;
  const longest = 'list' in rule.seconds ? Math.max(...rule.seconds.list) : rule.seconds.max;
  const seconds = typeof body.duration === 'number' ? body.duration : body.duration === 'auto' ? longest : 5;
  return Math.round(rule.creditsPerSecond * seconds);
}

export class FakeRunwayServer extends FakeTaskServer<Task, RunwayOutcome> {
  /** Polls a task answers before it reaches its outcome. */
  pollsUntilDone = 3;
  /**
   * The next this-many creates make their task and then answer 500 (an upstream that failed after
   * the task was stored): what a blind re-create pays twice for.
   */
  failAfterCreate = 0;
  /** Awaited after a create stored its task and before it answers (a test stalls the job store there). */
  onCreate: ((taskId: string) => Promise<void>) | null = null;

  override reset(): void {
    super.reset();
    this.pollsUntilDone = 3;
    this.failAfterCreate = 0;
    this.onCreate = null;
  }

  /** Tasks created so far (every accepted create, whatever it answered). */
  get createCount(): number {
    return this.tasks.size;
  }

  get deletedTaskIds(): string[] {
    return [...this.tasks.values()].filter((t) => t.deleted).map((t) => t.id);
  }

  protected handle(req: RecordedRequest, res: ServerResponse): Promise<void> | void {
    const path = req.path.split('?')[0]!;
    if (req.method === 'GET' && path.startsWith('/files/')) {
      const task = this.tasks.get(/^\/files\/([\w-]+)\.mp4$/.exec(path)?.[1] ?? '');
      const [w, h] = (task?.ratio ?? '').split(':').map(Number);
      return this.serveClip(res, w && h ? sampleMp4Of(w, h) : sampleMp4());
    }
    if (req.headers.authorization !== `Bearer ${this.apiKey}`)
      return this.send(res, 401, { error: 'Invalid API key or the key was revoked.' });
    if (req.headers['x-runway-version'] !== '2024-11-06')
      return this.send(res, 400, { error: 'The X-Runway-Version header is missing or names an unknown version.' });

    if (req.method === 'POST' && (path === '/v1/image_to_video' || path === '/v1/text_to_video')) {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(req.body.toString()) as Record<string, unknown>;
      } catch {
        return this.send(res, 400, { error: 'Body is not valid JSON.' });
      }
      if (this.outcomes[0] === 'reject-echo-key') {
        this.outcomes.shift();
        const key = String(req.headers.authorization).slice('Bearer '.length);
        return this.send(res, 400, {
          error: `The key ${key} is not enabled for this model; ask the account owner to enable it.`,
        });
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        return this.send(res, 400, { error: 'Validation of the request failed.', issues: ['(body): expected object'] });
      const issues = runwayBodyIssues(path, body);
      if (issues.length) return this.send(res, 400, { error: 'Validation of the request failed.', issues });
      const credits = creditsFor(body);
      const task: Task = {
        id: randomUUID(),
        outcome: this.outcomes.shift() ?? 'succeed',
        polls: 0,
        deleted: false,
        createdAt: new Date().toISOString(),
        credits,
        ratio: typeof body.ratio === 'string' ? body.ratio : undefined,
      };
      this.tasks.set(task.id, task);
      if (this.failAfterCreate > 0) {
        this.failAfterCreate -= 1;
        return this.send(res, 500, { error: 'An unexpected error occurred.' });
      }
      if (this.onCreate)
        return this.onCreate(task.id).then(() => this.send(res, 200, { id: task.id, estimatedCost: { credits } }));
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
        const base = {
          id: task.id,
          createdAt: task.createdAt,
          cost: { credits: task.outcome === 'succeed' ? task.credits : 0 },
        };
        if (task.outcome === 'stuck' || task.polls <= this.pollsUntilDone) {
          const base = running;
          if (task.polls === 1) return this.send(res, 200, { ...base, status: 'PENDING' });
          if (task.polls === 2) return this.send(res, 200, { ...base, status: 'THROTTLED' });
          return this.send(res, 200, { ...base, status: 'RUNNING', progress: Math.min(9, 3 * (task.polls - 2)) / 10 });
        }
        switch (task.outcome) {
          case 'fail':
            return this.send(res, 200, {
              ...base,
              status: 'FAILED',
              failure: 'An unexpected error occurred.',
              failureCode: 'INTERNAL',
            });
          case 'bad-output':
            return this.send(res, 200, {
              ...base,
              status: 'FAILED',
              failure: 'The output did not pass our quality checks.',
              failureCode: 'INTERNAL.BAD_OUTPUT.CODE01',
            });
          case 'safety':
            return this.send(res, 200, {
              ...base,
              status: 'FAILED',
              failure: 'The prompt was flagged by content moderation.',
              failureCode: 'SAFETY.INPUT.TEXT',
            });
          case 'echo-auth':
            return this.send(res, 200, {
              ...base,
              status: 'FAILED',
              failure: `Upstream refused the request {"authorization":"${req.headers.authorization}"}; Authorization: ${req.headers.authorization}`,
              failureCode: 'INTERNAL',
            });
          case 'vendor-cancel':
            return this.send(res, 200, { ...base, status: 'CANCELLED' });
          default:
            return this.send(res, 200, {
              ...base,
              status: 'SUCCEEDED',
              output: [`${this.url}/files/${task.id}.mp4?_jwt=signed-cdn-token`],
            });
        }
      }
    }
    this.send(res, 404, { error: 'Not found.' });
  }
}
