// Google's Interactions API as it serves Gemini Omni video generation, for the fakes:
// POST {version}/interactions, GET {version}/interactions/{id}, POST …/{id}/cancel, DELETE …/{id}.
// Sources and confidence:
// - Request and response shapes: @google/genai 2.32.0's interactions types (CreateModelInteraction,
//   Interaction, Step, Content, VideoResponseFormat, VideoConfig.task, InteractionStatus) —
//   official, high confidence. The fake refuses what those types make invalid: an unknown field
//   (Google's "Unknown name … Cannot find field"), a wrong type, a content block without its
//   required field, a response_format or task value outside the type's enums.
// - Background mode: create answers at once with status "in_progress" and an id starting "v1_",
//   polling GET reaches "completed" with the video in a model_output step (steps: user_input,
//   thought, model_output) — a live trace published in TanStack/ai issue #871 (third-party, medium).
// - Inline base64 below ~4 MB, a URI above: third-party guides ("4 MB URI delivery"), summarised in
//   ../shared/reference/vendors-2026-12.md — low-medium confidence; the URI is served here as a
//   Gemini Files API download (the shape Veo used), which is an assumption.
// - A retired model answers 404 NOT_FOUND "… is no longer available": Google's deprecations page
//   ("once a model is shut down … the endpoint is no longer available") and the third-party
//   notice in vendors-2026-12.md — the status is well sourced, the exact sentence is not.
// - On Vertex AI (the same types, under /v1beta1/projects/{p}/locations/{l}/interactions): the
//   VideoResponseFormat comment says gcs_uri is "Required for Vertex if delivery mode is URI"; the
//   fake then writes the clip as a gs:// object under it and otherwise answers inline whatever the
//   size (what Vertex does with a large clip and no gcs_uri is not documented).
// - Failed and refused generations: not documented. A failure is status "failed" with
//   errors[{code, message}] (Interaction.errors, "platform errors recorded on the interaction");
//   a refusal is a completed interaction whose output is text only, as Gemini models answer.
import { randomBytes } from 'node:crypto';
import { sampleMp4 } from '../shared/fake-http-server.js';

/** What the fake's Google serves of one interactions model. */
export interface InteractionsModel {
  id: string;
  durations: number[];
  aspectRatios: string[];
  resolutions: string[];
}

export type InteractionsModelState = { served: InteractionsModel } | { retired: string };

export type InteractionOutcome = 'succeed' | 'fail' | 'refuse' | 'stuck';

export interface StoredInteraction {
  id: string;
  model: string;
  status: 'in_progress' | 'completed' | 'failed' | 'cancelled';
  outcome: InteractionOutcome;
  polls: number;
  created: string;
  updated: string;
  input: unknown;
  /** The request's video format, as sent. */
  format: Record<string, unknown> | null;
  task: string | null;
  images: number;
  background: boolean;
  deleted: boolean;
  /** The id of the file a URI delivery points at. */
  fileId?: string;
  output?: unknown[];
  errors?: { code: string; message: string }[];
}

export interface Answer {
  status: number;
  body: unknown;
}

const googleError = (code: number, status: string, message: string): Answer => ({
  status: code,
  body: { error: { code, message, status } },
});
const invalid = (message: string) => googleError(400, 'INVALID_ARGUMENT', message);
const unknownName = (name: string, at?: string) =>
  invalid(`Invalid JSON payload received. Unknown name "${name}"${at ? ` at '${at}'` : ''}: Cannot find field.`);

// CreateModelInteraction's fields (@google/genai 2.32.0).
const MODEL_INTERACTION_KEYS = new Set([
  'background',
  'cached_content',
  'continuation_token',
  'environment',
  'generation_config',
  'input',
  'labels',
  'model',
  'previous_interaction_id',
  'response_format',
  'response_mime_type',
  'response_modalities',
  'safety_settings',
  'service_tier',
  'store',
  'stream',
  'system_instruction',
  'tools',
  'webhook_config',
]);
// GenerationConfig (interactions) fields.
const GENERATION_CONFIG_KEYS = new Set([
  'image_config',
  'max_output_tokens',
  'seed',
  'speech_config',
  'stop_sequences',
  'temperature',
  'thinking_level',
  'thinking_summaries',
  'tool_choice',
  'top_p',
  'transcription_config',
  'video_config',
]);
const TASKS = new Set(['text_to_video', 'image_to_video', 'reference_to_video', 'edit', 'extend', 'upscale']);
const VIDEO_FORMAT_KEYS = new Set(['type', 'aspect_ratio', 'delivery', 'duration', 'gcs_uri', 'resolution']);
const CONTENT_KEYS: Record<string, Set<string>> = {
  text: new Set(['type', 'text', 'annotations']),
  image: new Set(['type', 'data', 'mime_type', 'resolution', 'uri']),
  video: new Set(['type', 'data', 'mime_type', 'name', 'processing', 'resolution', 'uri']),
  audio: new Set(['type', 'channels', 'data', 'mime_type', 'sample_rate', 'uri']),
  document: new Set(['type', 'data', 'mime_type', 'uri']),
};
// ImageContentMimeType's named values; Omni's model page lists png, jpeg, webp, heic, heif as inputs.
const OMNI_IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/webp', 'image/heic', 'image/heif']);
/** Images per prompt (Vertex's Gemini Omni Flash page: at most 10). */
const MAX_IMAGES = 10;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isBase64 = (s: string) => s.length > 0 && /^[A-Za-z0-9+/]+={0,2}$/.test(s) && s.length % 4 === 0;
const now = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export class InteractionsApi {
  readonly interactions = new Map<string, StoredInteraction>();
  /** Outcomes of the next created interactions, in order; then success. */
  readonly outcomes: InteractionOutcome[] = [];
  pollsUntilDone = 2;
  /**
   * The next this-many creates store their interaction and then answer 500 INTERNAL (a backend that
   * failed after the interaction was made): what a blind re-create pays twice for.
   */
  failAfterCreate = 0;
  /** Above this many bytes a video comes back as a URI instead of inline base64. */
  inlineLimitBytes = 4 * 1024 * 1024;
  /** The clip every generation renders. */
  clip: () => Buffer = sampleMp4;

  constructor(
    private readonly model: (id: string) => InteractionsModelState | undefined,
    private readonly options: {
      apiVersion: string;
      /** Gemini API: the Files API URI of a video delivered by URI. */
      fileUri?: (fileId: string) => string;
      /** Vertex AI: a video delivered by URI is written to Cloud Storage under gcs_uri. */
      writeObject?: (uri: string) => void;
    },
  ) {}

  private get vertex(): boolean {
    return this.options.writeObject !== undefined;
  }

  reset(): void {
    this.interactions.clear();
    this.outcomes.length = 0;
    this.pollsUntilDone = 2;
    this.failAfterCreate = 0;
    this.inlineLimitBytes = 4 * 1024 * 1024;
    this.clip = sampleMp4;
  }

  /** Interactions created so far (every accepted create, whatever it answered). */
  get createCount(): number {
    return this.interactions.size;
  }

  /** The bytes of a file a URI delivery handed out, if it exists. */
  file(fileId: string): Buffer | undefined {
    return [...this.interactions.values()].some((i) => i.fileId === fileId && !i.deleted) ? this.clip() : undefined;
  }

  create(raw: Buffer): Answer {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString());
    } catch {
      return invalid('Invalid JSON payload received.');
    }
    if (!isObject(body)) return invalid('Invalid JSON payload received. Expected an object.');
    for (const key of Object.keys(body)) if (!MODEL_INTERACTION_KEYS.has(key)) return unknownName(key);
    if (typeof body.model !== 'string' || !body.model) return invalid('model is required.');
    for (const key of ['background', 'store', 'stream'] as const) {
      if (body[key] !== undefined && typeof body[key] !== 'boolean')
        return invalid(`Invalid value at '${key}' (TYPE_BOOL), ${JSON.stringify(body[key])}`);
    }
    const state = this.model(body.model);
    if (state && 'retired' in state)
      return googleError(404, 'NOT_FOUND', `models/${body.model} is no longer available.`);
    if (!state)
      return googleError(
        404,
        'NOT_FOUND',
        `models/${body.model} is not found for API version ${this.options.apiVersion}, or is not supported for interactions.`,
      );
    const model = state.served;
    if (body.background === true && body.store === false)
      return invalid('background interactions must be stored; store cannot be false.');
    if (body.stream === true) return invalid(`Streaming is not supported for video generation with ${model.id}.`);

    const content = this.checkInput(body.input);
    if ('status' in content) return content;
    const config = this.checkGenerationConfig(body.generation_config, content.images);
    if (config && 'status' in config) return config;
    const format = this.checkResponseFormat(body.response_format, model);
    if (format && 'status' in format) return format;

    const created = now();
    const interaction: StoredInteraction = {
      id: `v1_${randomBytes(12).toString('base64url')}`,
      model: model.id,
      status: 'in_progress',
      outcome: this.outcomes.shift() ?? 'succeed',
      polls: 0,
      created,
      updated: created,
      input: body.input,
      format: format?.video ?? null,
      task: config?.task ?? null,
      images: content.images,
      background: body.background === true,
      deleted: false,
    };
    this.interactions.set(interaction.id, interaction);
    if (!interaction.background) {
      // A synchronous create answers when the generation is over.
      if (interaction.outcome === 'stuck') interaction.outcome = 'succeed';
      this.finish(interaction);
    }
    if (this.failAfterCreate > 0) {
      this.failAfterCreate -= 1;
      return googleError(500, 'INTERNAL', 'Internal error encountered.');
    }
    return { status: 200, body: this.view(interaction) };
  }

  get(id: string): Answer {
    const i = this.interactions.get(id);
    if (!i || i.deleted) return googleError(404, 'NOT_FOUND', `Interaction ${id} not found.`);
    if (i.status === 'in_progress') {
      i.polls += 1;
      if (i.outcome !== 'stuck' && i.polls > this.pollsUntilDone) this.finish(i);
    }
    return { status: 200, body: this.view(i) };
  }

  cancel(id: string): Answer {
    const i = this.interactions.get(id);
    if (!i || i.deleted) return googleError(404, 'NOT_FOUND', `Interaction ${id} not found.`);
    // The SDK: "This only applies to background interactions that are still running."
    if (!i.background || i.status !== 'in_progress')
      return googleError(
        400,
        'FAILED_PRECONDITION',
        `Interaction ${id} is not a running background interaction (status ${i.status}).`,
      );
    i.status = 'cancelled';
    i.updated = now();
    return { status: 200, body: this.view(i) };
  }

  delete(id: string): Answer {
    const i = this.interactions.get(id);
    if (!i || i.deleted) return googleError(404, 'NOT_FOUND', `Interaction ${id} not found.`);
    i.deleted = true;
    return { status: 200, body: {} };
  }

  private finish(i: StoredInteraction): void {
    i.updated = now();
    if (i.outcome === 'fail') {
      i.status = 'failed';
      i.errors = [{ code: 'INTERNAL', message: 'Video generation failed due to an internal error.' }];
      return;
    }
    i.status = 'completed';
    if (i.outcome === 'refuse') {
      i.output = [{ type: 'text', text: "I can't create that video: the request may violate the usage policies." }];
      return;
    }
    const bytes = this.clip();
    if (this.vertex) {
      if (i.format?.delivery === 'uri') {
        const uri = `${String(i.format.gcs_uri)}${i.id}/sample_0.mp4`;
        this.options.writeObject!(uri);
        i.output = [{ type: 'video', mime_type: 'video/mp4', uri }];
      } else {
        i.output = [{ type: 'video', mime_type: 'video/mp4', data: bytes.toString('base64') }];
      }
      return;
    }
    const asUri = i.format?.delivery === 'uri' || bytes.length > this.inlineLimitBytes;
    if (asUri) {
      i.fileId = randomBytes(8).toString('hex');
      i.output = [{ type: 'video', mime_type: 'video/mp4', uri: this.options.fileUri!(i.fileId) }];
    } else {
      i.output = [{ type: 'video', mime_type: 'video/mp4', data: bytes.toString('base64') }];
    }
  }

  private view(i: StoredInteraction): Record<string, unknown> {
    const steps: unknown[] = [];
    if (i.status === 'completed' || i.status === 'failed') {
      steps.push({
        type: 'user_input',
        content:
          typeof i.input === 'string'
            ? [{ type: 'text', text: i.input }]
            : Array.isArray(i.input)
              ? i.input
              : [i.input],
      });
      steps.push({ type: 'thought', signature: randomBytes(16).toString('base64') });
      if (i.output) steps.push({ type: 'model_output', content: i.output });
    }
    return {
      id: i.id,
      object: 'interaction',
      model: i.model,
      status: i.status,
      created: i.created,
      updated: i.updated,
      ...(steps.length ? { steps } : {}),
      ...(i.errors ? { errors: i.errors } : {}),
      ...(i.status === 'completed'
        ? {
            usage: {
              total_input_tokens: 12 + i.images * 258,
              total_output_tokens: 57_920,
              output_tokens_by_modality: [{ modality: 'video', tokens: 57_920 }],
            },
          }
        : {}),
    };
  }

  /** InteractionsInput: a string, a content block, or a list of content blocks (or of steps). */
  private checkInput(input: unknown): { images: number } | Answer {
    if (input === undefined || input === null || input === '') return invalid('input is required.');
    if (typeof input === 'string') return { images: 0 };
    const blocks = Array.isArray(input) ? input : [input];
    if (blocks.length === 0) return invalid('input is required.');
    let images = 0;
    let text = false;
    // A list of steps: the user_input steps' content is the prompt.
    const flat: { block: unknown; at: string }[] = [];
    for (const [n, block] of blocks.entries()) {
      const at = Array.isArray(input) ? `input[${n}]` : 'input';
      if (isObject(block) && block.type === 'user_input') {
        for (const key of Object.keys(block)) if (key !== 'type' && key !== 'content') return unknownName(key, at);
        if (!Array.isArray(block.content)) return invalid(`'${at}.content' must be a list of content blocks.`);
        block.content.forEach((c, k) => flat.push({ block: c, at: `${at}.content[${k}]` }));
      } else {
        flat.push({ block, at });
      }
    }
    for (const { block, at } of flat) {
      if (!isObject(block) || typeof block.type !== 'string')
        return invalid(`Invalid value at '${at}': a content block needs a type.`);
      const keys = CONTENT_KEYS[block.type];
      if (!keys)
        return invalid(`Invalid value at '${at}.type': "${block.type}" is not a content type this model accepts.`);
      for (const key of Object.keys(block)) if (!keys.has(key)) return unknownName(key, at);
      if (block.type === 'text') {
        if (typeof block.text !== 'string') return invalid(`'${at}.text' is required.`);
        text ||= block.text.trim().length > 0;
        continue;
      }
      if (block.data === undefined && block.uri === undefined) return invalid(`'${at}' needs data or uri.`);
      if (block.data !== undefined && (typeof block.data !== 'string' || !isBase64(block.data)))
        return invalid(`Invalid value at '${at}.data' (TYPE_BYTES): not base64.`);
      if (block.type === 'image') {
        images += 1;
        if (block.data !== undefined && !OMNI_IMAGE_TYPES.has(String(block.mime_type)))
          return invalid(`Unsupported MIME type for '${at}': ${String(block.mime_type)}`);
      }
    }
    if (!text) return invalid('input needs a text prompt.');
    if (images > MAX_IMAGES) return invalid(`At most ${MAX_IMAGES} images are supported per prompt, got ${images}.`);
    return { images };
  }

  private checkGenerationConfig(raw: unknown, images: number): { task: string | null } | Answer | null {
    if (raw === undefined) return null;
    if (!isObject(raw)) return invalid("Invalid value at 'generation_config'.");
    for (const key of Object.keys(raw))
      if (!GENERATION_CONFIG_KEYS.has(key)) return unknownName(key, 'generation_config');
    const video = raw.video_config;
    if (video === undefined) return { task: null };
    if (!isObject(video)) return invalid("Invalid value at 'generation_config.video_config'.");
    for (const key of Object.keys(video)) if (key !== 'task') return unknownName(key, 'generation_config.video_config');
    if (video.task === undefined) return { task: null };
    if (typeof video.task !== 'string' || !TASKS.has(video.task))
      return invalid(`Invalid value at 'generation_config.video_config.task': ${JSON.stringify(video.task)}`);
    if (video.task === 'text_to_video' && images > 0) return invalid('task text_to_video takes no image input.');
    if (video.task === 'image_to_video' && images !== 1)
      return invalid(`task image_to_video takes exactly one image, got ${images}.`);
    if (video.task !== 'text_to_video' && video.task !== 'image_to_video')
      return invalid(
        `task ${video.task} needs a reference, an input video or a previous interaction, which this request lacks.`,
      );
    return { task: video.task };
  }

  /** ResponseFormat: one format object or a list; the video one is checked against the model. */
  private checkResponseFormat(
    raw: unknown,
    model: InteractionsModel,
  ): { video: Record<string, unknown> | null } | Answer | null {
    if (raw === undefined) return null;
    const formats = Array.isArray(raw) ? raw : [raw];
    let video: Record<string, unknown> | null = null;
    for (const f of formats) {
      if (!isObject(f) || typeof f.type !== 'string')
        return invalid("Invalid value at 'response_format': a format needs a type.");
      if (f.type === 'text') continue;
      if (f.type !== 'video') return invalid(`response_format type "${f.type}" is not supported by ${model.id}.`);
      for (const key of Object.keys(f)) if (!VIDEO_FORMAT_KEYS.has(key)) return unknownName(key, 'response_format');
      if (f.aspect_ratio !== undefined && !model.aspectRatios.includes(String(f.aspect_ratio)))
        return invalid(
          `Unsupported aspect ratio ${JSON.stringify(f.aspect_ratio)}; supported: ${model.aspectRatios.join(', ')}.`,
        );
      if (f.resolution !== undefined && !model.resolutions.includes(String(f.resolution)))
        return invalid(
          `Unsupported resolution ${JSON.stringify(f.resolution)}; supported: ${model.resolutions.join(', ')}.`,
        );
      if (f.delivery !== undefined && f.delivery !== 'inline' && f.delivery !== 'uri')
        return invalid(`Invalid value at 'response_format.delivery': ${JSON.stringify(f.delivery)}`);
      // gcs_uri: "Required for Vertex if delivery mode is URI" — a Vertex AI field.
      if (f.gcs_uri !== undefined && !this.vertex)
        return invalid('response_format.gcs_uri is only supported on Vertex AI.');
      if (f.gcs_uri !== undefined && (typeof f.gcs_uri !== 'string' || !/^gs:\/\/[^/]+\/.*\/$/.test(f.gcs_uri)))
        return invalid('response_format.gcs_uri must be a gs:// folder ending in /.');
      if (this.vertex && f.delivery === 'uri' && f.gcs_uri === undefined)
        return invalid('response_format.gcs_uri is required when delivery is uri.');
      if (f.duration !== undefined) {
        // A google.protobuf.Duration in its JSON form: seconds with an "s" suffix.
        const m = typeof f.duration === 'string' ? /^(\d+(?:\.\d{1,9})?)s$/.exec(f.duration) : null;
        if (!m)
          return invalid(
            `Invalid value at 'response_format.duration' (type.googleapis.com/google.protobuf.Duration): ${JSON.stringify(f.duration)}`,
          );
        if (!model.durations.includes(Number(m[1])))
          return invalid(
            `Unsupported output video duration ${m[1]} seconds, supported durations are [${model.durations.join(',')}].`,
          );
      }
      video = f;
    }
    return { video };
  }
}
