// Fake OpenAI API: POST /v1/chat/completions (structured JSON plans, or a reword) and
// POST /v1/images/generations + /v1/images/edits (multipart), as strict as OpenAI per model, from
// the `openai` SDK 6.49.0 type comments (resources/images.d.ts): the sizes each model renders, the
// prompt length limits, `n` (dall-e-3: 1), `response_format` for the DALL·E models only (their
// default answer is a URL, served here under /fake-images/ without auth, like OpenAI's signed blob
// URLs), edits for dall-e-2 and the GPT image models only (dall-e-3 is refused), dall-e-2 edits
// only of a square PNG with transparency. The image answered is a PNG of the size asked for.
// Checks the bearer key like the real API (401 invalid_api_key). Replies can be scripted per route.
// The exact error texts are our best reading of OpenAI's answers (OpenAI documents the codes, not
// the sentences): confidence medium.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { FakeHttpServer, pngOfSize, pngSize, type RecordedRequest } from '../shared/fake-http-server.js';

export interface PlanSegment {
  keyframe: string;
  video: string;
}

interface ModelRules {
  sizes: string[] | 'free';
  responseFormat: boolean;
  edits: boolean;
  maxPrompt: number;
  maxN: number;
}

const GPT: ModelRules = {
  sizes: ['auto', '1024x1024', '1536x1024', '1024x1536'],
  responseFormat: false,
  edits: true,
  maxPrompt: 32000,
  maxN: 10,
};
const MODELS: Record<string, ModelRules> = {
  'gpt-image-1': GPT,
  'gpt-image-1-mini': GPT,
  'gpt-image-1.5': GPT,
  'chatgpt-image-latest': GPT,
  'gpt-image-2': { ...GPT, sizes: 'free' },
  'gpt-image-2-2026-04-21': { ...GPT, sizes: 'free' },
  'dall-e-3': {
    sizes: ['1024x1024', '1792x1024', '1024x1792'],
    responseFormat: true,
    edits: false,
    maxPrompt: 4000,
    maxN: 1,
  },
  'dall-e-2': {
    sizes: ['256x256', '512x512', '1024x1024'],
    responseFormat: true,
    edits: true,
    maxPrompt: 1000,
    maxN: 10,
  },
};

/** gpt-image-2: WIDTHxHEIGHT, both divisible by 16, aspect within 1:3..3:1, at most 3840x2160. */
function freeSizeOk(size: string): boolean {
  if (size === 'auto') return true;
  const m = /^(\d+)x(\d+)$/.exec(size);
  if (!m) return false;
  const [w, h] = [Number(m[1]), Number(m[2])];
  return (
    w % 16 === 0 && h % 16 === 0 && w / h >= 1 / 3 && w / h <= 3 && Math.max(w, h) <= 3840 && Math.min(w, h) <= 2160
  );
}

const invalid = (param: string, message: string, code = 'invalid_value') => ({
  error: { message, type: 'invalid_request_error', param, code },
});

export class FakeOpenAiServer extends FakeHttpServer {
  /** Planner replies, used in order; when empty, a valid plan of `defaultSegments`. */
  readonly planReplies: unknown[] = [];
  defaultSegments: PlanSegment[] = [
    { keyframe: 'A lighthouse at dawn, still.', video: 'The camera rises over a lighthouse at dawn.' },
    { keyframe: 'Waves on black rocks, still.', video: 'Waves crash on black rocks below the lighthouse.' },
  ];
  /** Images handed out as URLs (DALL·E without response_format b64_json), by id. */
  private readonly hosted = new Map<string, Buffer>();

  constructor(readonly apiKey: string) {
    super();
  }

  static plan(segments: PlanSegment[], numberOfSegments = segments.length): Record<string, unknown> {
    return {
      segmentation_logic: {
        total_duration_seconds: segments.length * 5,
        number_of_segments: numberOfSegments,
        reasoning: 'one beat per segment',
      },
      keyframe_prompts: segments.map((s, i) => ({ segment: i + 1, prompt: s.keyframe })),
      video_prompts: segments.map((s, i) => ({ segment: i + 1, prompt: s.video, first_frame: null, last_frame: null })),
    };
  }

  protected async handle(req: RecordedRequest, res: ServerResponse): Promise<void> {
    const hosted = /^\/fake-images\/([\w-]+)\.png$/.exec(req.path.split('?')[0]!);
    if (req.method === 'GET' && hosted) {
      const png = this.hosted.get(hosted[1]!);
      if (!png) return this.send(res, 404, 'BlobNotFound');
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length });
      res.end(png);
      return;
    }
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) {
      return this.send(res, 401, {
        error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' },
      });
    }
    if (req.method === 'POST' && req.path === '/v1/chat/completions') {
      const body = JSON.parse(req.body.toString()) as { response_format?: { type: string } };
      const content =
        body.response_format?.type === 'json_schema'
          ? JSON.stringify(
              this.planReplies.length ? this.planReplies.shift() : FakeOpenAiServer.plan(this.defaultSegments),
            )
          : 'A calm, friendly scene of the same subject.';
      return this.send(res, 200, {
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: 'fake',
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      });
    }
    if (req.method === 'POST' && req.path === '/v1/images/generations') {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(req.body.toString()) as Record<string, unknown>;
      } catch {
        return this.send(
          res,
          400,
          invalid('body', 'We could not parse the JSON body of your request.', 'invalid_json'),
        );
      }
      return this.image(res, body, null);
    }
    if (req.method === 'POST' && req.path === '/v1/images/edits') {
      if (!/multipart\/form-data/.test(String(req.headers['content-type']))) {
        return this.send(res, 400, invalid('body', 'edits take multipart/form-data', 'invalid_request'));
      }
      const form = await new Response(new Uint8Array(req.body), {
        headers: { 'content-type': String(req.headers['content-type']) },
      }).formData();
      const image = form.get('image');
      if (!(image instanceof Blob))
        return this.send(
          res,
          400,
          invalid('image', "Missing required parameter: 'image'.", 'missing_required_parameter'),
        );
      const fields: Record<string, unknown> = {};
      form.forEach((value, key) => {
        if (typeof value === 'string') fields[key] = key === 'n' ? Number(value) : value;
      });
      return this.image(res, fields, Buffer.from(await image.arrayBuffer()));
    }
    this.send(res, 404, { error: { message: `Unknown path ${req.path}` } });
  }

  /** A generation (input null) or an edit, checked against the model's rules. */
  private image(res: ServerResponse, body: Record<string, unknown>, input: Buffer | null): void {
    const modelId = String(body.model ?? (input ? 'gpt-image-1.5' : 'dall-e-2'));
    const rules = MODELS[modelId];
    if (!rules)
      return this.send(
        res,
        400,
        invalid(
          'model',
          `Invalid value: '${modelId}'. Supported values are: ${Object.keys(MODELS)
            .map((m) => `'${m}'`)
            .join(', ')}.`,
        ),
      );
    if (input && !rules.edits) {
      return this.send(
        res,
        400,
        invalid('model', `Invalid value: '${modelId}'. Image edits support 'dall-e-2' and the GPT image models only.`),
      );
    }
    if (typeof body.prompt !== 'string' || !body.prompt)
      return this.send(
        res,
        400,
        invalid('prompt', "Missing required parameter: 'prompt'.", 'missing_required_parameter'),
      );
    if (body.prompt.length > rules.maxPrompt)
      return this.send(
        res,
        400,
        invalid(
          'prompt',
          `Invalid 'prompt': string too long. Expected a string with maximum length ${rules.maxPrompt}.`,
          'string_above_max_length',
        ),
      );
    const n = body.n === undefined ? 1 : Number(body.n);
    if (!Number.isInteger(n) || n < 1 || n > rules.maxN)
      return this.send(res, 400, invalid('n', `Invalid 'n': ${modelId} supports n from 1 to ${rules.maxN}.`));
    const size = String(
      body.size ?? (rules.sizes === 'free' ? 'auto' : rules.sizes[rules.sizes[0] === 'auto' ? 1 : 0]),
    );
    if (rules.sizes === 'free' ? !freeSizeOk(size) : !rules.sizes.includes(size)) {
      return this.send(
        res,
        400,
        invalid(
          'size',
          `Invalid value: '${size}'. Supported values are: ${rules.sizes === 'free' ? 'WIDTHxHEIGHT with both sides divisible by 16' : rules.sizes.map((s) => `'${s}'`).join(', ')}.`,
        ),
      );
    }
    if (body.response_format !== undefined) {
      if (!rules.responseFormat)
        return this.send(
          res,
          400,
          invalid('response_format', "Unknown parameter: 'response_format'.", 'unknown_parameter'),
        );
      if (body.response_format !== 'url' && body.response_format !== 'b64_json')
        return this.send(
          res,
          400,
          invalid(
            'response_format',
            `Invalid value: '${String(body.response_format)}'. Supported values are: 'url' and 'b64_json'.`,
          ),
        );
    }
    if (input && modelId === 'dall-e-2') {
      // dall-e-2 edits: one square PNG under 4 MB whose transparent areas say what to repaint.
      const dims = pngSize(input);
      if (!dims || input.length >= 4 * 1024 * 1024)
        return this.send(res, 400, invalid('image', 'Invalid input image - image must be a PNG file less than 4 MB.'));
      if (dims.width !== dims.height)
        return this.send(res, 400, invalid('image', 'Invalid input image - image must be square.'));
      if (![4, 6].includes(input[25]!))
        return this.send(
          res,
          400,
          invalid('image', "Invalid input image - format must be in ['RGBA', 'LA', 'L'], got RGB."),
        );
    }
    const [w, h] = (size === 'auto' ? '1024x1024' : size).split('x').map(Number) as [number, number];
    const png = pngOfSize(w, h);
    const asUrl = rules.responseFormat && body.response_format !== 'b64_json';
    const revised = modelId === 'dall-e-3' ? { revised_prompt: body.prompt } : {};
    let item: Record<string, unknown>;
    if (asUrl) {
      const id = randomUUID();
      this.hosted.set(id, png);
      item = { url: `${this.url}/fake-images/${id}.png?se=2099-01-01&sig=signed-blob`, ...revised };
    } else {
      item = { b64_json: png.toString('base64'), ...revised };
    }
    this.send(res, 200, {
      created: Math.floor(Date.now() / 1000),
      data: [item],
      ...(rules.responseFormat ? {} : { size, output_format: 'png' }),
    });
  }
}
