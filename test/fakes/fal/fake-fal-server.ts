// A protocol-faithful fal.ai queue (queue.fal.run): `Authorization: Key …`, POST /{model} answers
// request_id with status, response and cancel URLs built on the app id (owner/app, the model's
// sub-path dropped, as fal does), GET …/status moves IN_QUEUE (queue_position) → IN_PROGRESS →
// COMPLETED, GET …/requests/{id} returns the output with fal's timing and cost headers, PUT
// …/cancel answers CANCELLATION_REQUESTED. Under /run/ it plays the synchronous fal.run endpoint.
// Inputs are validated per endpoint with ttv's capability table (taken from @fal-ai/client's
// EndpointTypeMap input types): `duration` must be the endpoint's literal ("6", "8s"), frames and
// ratio in the endpoint's fields, else fal's 422 {detail:[{loc,msg,type}]}. Status answers carry
// request_id, response_url, status_url and cancel_url, as the SDK types them. A failed request is
// COMPLETED in the status and answers its result URL with a 5xx {detail, error_type} and
// X-Fal-Error-Type, as fal documents.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sampleMp4, type RecordedRequest } from '../shared/fake-http-server.js';
import { FakeTaskServer } from '../shared/fake-task-server.js';
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { allowedDurations } from '../../../src/catalog/model-rules.js';
import { falDuration } from '../../../src/generators/fal/fal-video-generator.js';

export type FalOutcome = 'succeed' | 'runner-error' | 'content-policy' | 'stuck';

interface FalRequest {
  id: string;
  app: string;
  outcome: FalOutcome;
  polls: number;
  canceled: boolean;
}

export class FakeFalServer extends FakeTaskServer<FalRequest, FalOutcome> {
  /** The queue requests by id (fal's word for a task). */
  get queued(): Map<string, FalRequest> {
    return this.tasks;
  }

  get canceledIds(): string[] {
    return [...this.queued.values()].filter((r) => r.canceled).map((r) => r.id);
  }

  private validate(endpoint: string, input: Record<string, unknown>): { loc: string[]; msg: string; type: string }[] | null {
    const model = shippedCatalog().find('fal', endpoint);
    if (!model) return null;
    const wire = model.wire ?? {};
    const problems: { loc: string[]; msg: string; type: string }[] = [];
    const missing = (field: string) => problems.push({ loc: ['body', field], msg: 'Field required', type: 'missing' });
    if (typeof input.prompt !== 'string' || !input.prompt) missing('prompt');
    const isFrame = (v: unknown) => typeof v === 'string' && /^(https?:|data:image\/)/.test(v);
    if (wire.image_field && !isFrame(input[wire.image_field])) missing(wire.image_field);
    if (wire.last_frame_field && input[wire.last_frame_field] !== undefined && !isFrame(input[wire.last_frame_field])) missing(wire.last_frame_field);
    if (input.duration !== undefined) {
      const permitted = allowedDurations(model.durations).map((d) => falDuration(model, d));
      if (!permitted.includes(input.duration as string | number)) {
        problems.push({ loc: ['body', 'duration'], msg: `Input should be ${permitted.map((p) => JSON.stringify(p)).join(' or ')}`, type: 'literal_error' });
      }
    }
    if (wire.ratio_field && input[wire.ratio_field] !== undefined) {
      const ratios = model.modes.text ?? model.modes.image;
      const permitted = ratios && ratios !== 'follows-image' ? Object.values(ratios) : [];
      if (!permitted.includes(String(input[wire.ratio_field]))) problems.push({ loc: ['body', wire.ratio_field], msg: `Input should be ${permitted.map((p) => `'${p}'`).join(' or ')}`, type: 'literal_error' });
    }
    if (input.generate_audio !== undefined && !wire.audio_field) problems.push({ loc: ['body', 'generate_audio'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden' });
    return problems;
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    const path = req.path.split('?')[0]!;
    if (req.method === 'GET' && path.startsWith('/files/')) return this.serveClip(res, sampleMp4());
    if (req.headers.authorization !== `Key ${this.apiKey}`) return this.send(res, 401, { detail: 'Invalid Key Authorization header format or key' });

    const request = /^\/([^/]+\/[^/]+)\/requests\/([\w-]+)(\/status|\/cancel)?$/.exec(path);
    if (request) {
      const entry = this.queued.get(request[2]!);
      if (!entry || entry.app !== request[1]) return this.send(res, 404, { detail: 'Request not found' });
      const base = `${this.url}/${entry.app}/requests/${entry.id}`;
      if (request[3] === '/cancel' && req.method === 'PUT') {
        if (entry.polls > 2 && entry.outcome !== 'stuck') return this.send(res, 400, { status: 'ALREADY_COMPLETED' });
        entry.canceled = true;
        return this.send(res, 202, { status: 'CANCELLATION_REQUESTED' });
      }
      if (request[3] === '/status' && req.method === 'GET') {
        entry.polls += 1;
        const urls = { request_id: entry.id, response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel` };
        if (entry.outcome === 'stuck' || entry.polls === 1) return this.send(res, 200, { status: 'IN_QUEUE', queue_position: 0, ...urls });
        if (entry.polls === 2) return this.send(res, 200, { status: 'IN_PROGRESS', logs: [], ...urls });
        return this.send(res, 200, { status: 'COMPLETED', logs: [], metrics: entry.outcome === 'runner-error' ? {} : { inference_time: 1.2 }, ...urls });
      }
      if (!request[3] && req.method === 'GET') {
        if (entry.outcome === 'runner-error') {
          return this.send(res, 500, { detail: 'Runner crashed while processing the request', error_type: 'runner_server_error' }, { 'x-fal-error-type': 'runner_server_error' });
        }
        if (entry.outcome === 'content-policy') {
          return this.send(res, 422, { detail: [{ loc: ['body', 'prompt'], msg: 'The content could not be processed because it contained material flagged by a content checker.', type: 'content_policy_violation' }] });
        }
        return this.send(res, 200, { video: { url: `${this.url}/files/${entry.id}.mp4?token=cdn-secret`, content_type: 'video/mp4', file_name: 'output.mp4', file_size: sampleMp4().length } }, {
          'x-fal-request-id': entry.id, 'x-queue-time': '0.4', 'x-compute-time': '1.25', 'x-total-cost': '0.27',
        });
      }
    }

    if (req.method === 'POST') {
      // fal.run (synchronous): the same input, answered with the output itself.
      const sync = path.startsWith('/run/');
      const model = path.replace(/^\/(run\/)?/, '');
      const segments = model.split('/');
      if (segments.length < 2) return this.send(res, 404, { detail: 'Application not found' });
      let input: Record<string, unknown>;
      try {
        input = JSON.parse(req.body.toString()) as Record<string, unknown>;
      } catch {
        return this.send(res, 422, { detail: [{ loc: ['body'], msg: 'invalid JSON', type: 'json_invalid' }] });
      }
      const problems = this.validate(model, input);
      if (problems === null) return this.send(res, 404, { detail: `Application '${model}' not found` });
      if (problems.length) return this.send(res, 422, { detail: problems });
      if (sync) return this.send(res, 200, { video: { url: `${this.url}/files/sync-${randomUUID()}.mp4`, content_type: 'video/mp4' } });
      const entry: FalRequest = { id: randomUUID(), app: segments.slice(0, 2).join('/'), outcome: this.outcomes.shift() ?? 'succeed', polls: 0, canceled: false };
      this.queued.set(entry.id, entry);
      const base = `${this.url}/${entry.app}/requests/${entry.id}`;
      return this.send(res, 200, { request_id: entry.id, response_url: base, status_url: `${base}/status`, cancel_url: `${base}/cancel`, queue_position: 0 });
    }
    this.send(res, 404, { detail: 'Not Found' });
  }
}
