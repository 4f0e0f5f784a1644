// A protocol-faithful fal.ai queue (queue.fal.run): `Authorization: Key …`, POST /{model} answers
// request_id with status, response and cancel URLs built on the app id (owner/app, the model's
// sub-path dropped, as fal does), GET …/status moves IN_QUEUE (queue_position) → IN_PROGRESS →
// COMPLETED, GET …/requests/{id} returns the output with fal's timing and cost headers, PUT
// …/cancel answers CANCELLATION_REQUESTED. Under /run/ it plays the synchronous fal.run endpoint.
// Every endpoint of the installed @fal-ai/client's EndpointTypeMap is served, and its input is
// checked against that endpoint's own input type, read from the client's endpoints.d.ts
// (sdk-type-shape.ts): required fields, literal values ("5" | "10", "4s" | "6s" | "8s"), no field the
// type does not name; an endpoint the map does not have is fal's 404. A refusal is fal's 422
// {detail:[{loc,msg,type}]}. It does not read ttv's catalog. Status answers carry request_id,
// response_url, status_url and cancel_url, as the SDK types them. A failed request is COMPLETED in
// the status and answers its result URL with a 5xx {detail, error_type} and X-Fal-Error-Type, as fal
// documents.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { sampleMp4, type RecordedRequest } from '../shared/fake-http-server.js';
import { FakeTaskServer } from '../shared/fake-task-server.js';
import { DeclarationFile, shapeIssues, type Shape } from '../shared/sdk-type-shape.js';

export type FalOutcome = 'succeed' | 'runner-error' | 'content-policy' | 'stuck';

interface FalRequest {
  id: string;
  app: string;
  outcome: FalOutcome;
  polls: number;
  canceled: boolean;
}

interface FieldError {
  loc: (string | number)[];
  msg: string;
  type: string;
}

let endpoints: DeclarationFile | null = null;

/** The input type @fal-ai/client types for an endpoint id, or undefined when it has no such endpoint. */
export function falEndpointInput(endpoint: string): Shape | undefined {
  endpoints ??= DeclarationFile.ofPackage('@fal-ai/client', 'src/types/endpoints.d.ts');
  return endpoints.property('EndpointTypeMap', endpoint, 'input');
}

/** fal's pydantic-style location of a dotted path: 'elements[0].url' → ['body', 'elements', 0, 'url']. */
function location(path: string): (string | number)[] {
  if (path === '(body)') return ['body'];
  return [
    'body',
    ...path.split('.').flatMap((part) =>
      part
        .split(/\[(\d+)\]/)
        .filter(Boolean)
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p)),
    ),
  ];
}

/** An input's problems against the endpoint's input type, as fal's 422 detail items. */
export function falInputIssues(shape: Shape, input: unknown): FieldError[] {
  const issues: FieldError[] = shapeIssues(input, shape).map((issue) => {
    const type =
      issue.message === 'Required'
        ? 'missing'
        : issue.message.startsWith('Unrecognized key')
          ? 'extra_forbidden'
          : /^Invalid (enum )?value/.test(issue.message)
            ? 'literal_error'
            : 'type_error';
    const unknownKey = /^Unrecognized key: '(.+)'$/.exec(issue.message)?.[1];
    return {
      loc: unknownKey ? [...location(issue.path), unknownKey] : location(issue.path),
      msg:
        type === 'missing'
          ? 'Field required'
          : type === 'extra_forbidden'
            ? 'Extra inputs are not permitted'
            : issue.message,
      type,
    };
  });
  // File fields are typed `string | Blob | File`: on the wire fal takes a URL or a data URI.
  if (input && typeof input === 'object') {
    for (const [key, value] of Object.entries(input as Record<string, unknown>)) {
      if (
        /_url$/.test(key) &&
        typeof value === 'string' &&
        !/^(https?:\/\/|data:[\w.+-]+\/[\w.+-]+;base64,)/.test(value)
      ) {
        issues.push({ loc: ['body', key], msg: 'Input should be a valid URL or data URI', type: 'url_parsing' });
      }
    }
  }
  return issues;
}

export class FakeFalServer extends FakeTaskServer<FalRequest, FalOutcome> {
  /** The queue requests by id (fal's word for a task). */
  get queued(): Map<string, FalRequest> {
    return this.tasks;
  }

  get canceledIds(): string[] {
    return [...this.queued.values()].filter((r) => r.canceled).map((r) => r.id);
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    const path = req.path.split('?')[0]!;
    if (req.method === 'GET' && path.startsWith('/files/')) return this.serveClip(res, sampleMp4());
    if (req.headers.authorization !== `Key ${this.apiKey}`)
      return this.send(res, 401, { detail: 'Invalid Key Authorization header format or key' });

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
        const urls = {
          request_id: entry.id,
          response_url: base,
          status_url: `${base}/status`,
          cancel_url: `${base}/cancel`,
        };
        if (entry.outcome === 'stuck' || entry.polls === 1)
          return this.send(res, 200, { status: 'IN_QUEUE', queue_position: 0, ...urls });
        if (entry.polls === 2) return this.send(res, 200, { status: 'IN_PROGRESS', logs: [], ...urls });
        return this.send(res, 200, {
          status: 'COMPLETED',
          logs: [],
          metrics: entry.outcome === 'runner-error' ? {} : { inference_time: 1.2 },
          ...urls,
        });
      }
      if (!request[3] && req.method === 'GET') {
        if (entry.outcome === 'runner-error') {
          return this.send(
            res,
            500,
            { detail: 'Runner crashed while processing the request', error_type: 'runner_server_error' },
            { 'x-fal-error-type': 'runner_server_error' },
          );
        }
        if (entry.outcome === 'content-policy') {
          return this.send(res, 422, {
            detail: [
              {
                loc: ['body', 'prompt'],
                msg: 'The content could not be processed because it contained material flagged by a content checker.',
                type: 'content_policy_violation',
              },
            ],
          });
        }
        return this.send(
          res,
          200,
          {
            video: {
              url: `${this.url}/files/${entry.id}.mp4?token=cdn-secret`,
              content_type: 'video/mp4',
              file_name: 'output.mp4',
              file_size: sampleMp4().length,
            },
          },
          {
            'x-fal-request-id': entry.id,
            'x-queue-time': '0.4',
            'x-compute-time': '1.25',
            'x-total-cost': '0.27',
          },
        );
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
      const shape = falEndpointInput(model);
      if (!shape) return this.send(res, 404, { detail: `Application '${model}' not found` });
      const problems = falInputIssues(shape, input);
      if (problems.length) return this.send(res, 422, { detail: problems });
      if (sync)
        return this.send(res, 200, {
          video: { url: `${this.url}/files/sync-${randomUUID()}.mp4`, content_type: 'video/mp4' },
        });
      const entry: FalRequest = {
        id: randomUUID(),
        app: segments.slice(0, 2).join('/'),
        outcome: this.outcomes.shift() ?? 'succeed',
        polls: 0,
        canceled: false,
      };
      this.queued.set(entry.id, entry);
      const base = `${this.url}/${entry.app}/requests/${entry.id}`;
      return this.send(res, 200, {
        request_id: entry.id,
        response_url: base,
        status_url: `${base}/status`,
        cancel_url: `${base}/cancel`,
        queue_position: 0,
      });
    }
    this.send(res, 404, { detail: 'Not Found' });
  }
}
