// Fake OpenAI API: POST /v1/chat/completions (structured JSON plans, or a reword) and
// POST /v1/images/generations + /v1/images/edits (multipart) answering b64_json PNGs.
// Checks the bearer key like the real API (401 invalid_api_key). Replies can be scripted per route.
import type { ServerResponse } from 'node:http';
import { FakeHttpServer, samplePng, type RecordedRequest } from '../shared/fake-http-server.js';

export interface PlanSegment {
  keyframe: string;
  video: string;
}

export class FakeOpenAiServer extends FakeHttpServer {
  /** Planner replies, used in order; when empty, a valid plan of `defaultSegments`. */
  readonly planReplies: unknown[] = [];
  defaultSegments: PlanSegment[] = [
    { keyframe: 'A lighthouse at dawn, still.', video: 'The camera rises over a lighthouse at dawn.' },
    { keyframe: 'Waves on black rocks, still.', video: 'Waves crash on black rocks below the lighthouse.' },
  ];

  constructor(readonly apiKey: string) {
    super();
  }

  static plan(segments: PlanSegment[], numberOfSegments = segments.length): Record<string, unknown> {
    return {
      segmentation_logic: { total_duration_seconds: segments.length * 5, number_of_segments: numberOfSegments, reasoning: 'one beat per segment' },
      keyframe_prompts: segments.map((s, i) => ({ segment: i + 1, prompt: s.keyframe })),
      video_prompts: segments.map((s, i) => ({ segment: i + 1, prompt: s.video, first_frame: null, last_frame: null })),
    };
  }

  protected handle(req: RecordedRequest, res: ServerResponse): void {
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return this.send(res, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } });
    }
    if (req.method === 'POST' && req.path === '/v1/chat/completions') {
      const body = JSON.parse(req.body.toString()) as { response_format?: { type: string } };
      const content = body.response_format?.type === 'json_schema'
        ? JSON.stringify(this.planReplies.length ? this.planReplies.shift() : FakeOpenAiServer.plan(this.defaultSegments))
        : 'A calm, friendly scene of the same subject.';
      return this.send(res, 200, {
        id: 'chatcmpl-fake', object: 'chat.completion', created: Math.floor(Date.now() / 1000), model: 'fake',
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      });
    }
    if (req.method === 'POST' && (req.path === '/v1/images/generations' || req.path === '/v1/images/edits')) {
      if (req.path.endsWith('/edits') && !/multipart\/form-data/.test(String(req.headers['content-type']))) {
        return this.send(res, 400, { error: { message: 'edits take multipart/form-data', code: 'invalid_request' } });
      }
      return this.send(res, 200, { created: Math.floor(Date.now() / 1000), data: [{ b64_json: samplePng().toString('base64') }] });
    }
    this.send(res, 404, { error: { message: `Unknown path ${req.path}` } });
  }
}
