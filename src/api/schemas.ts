// Request and response schemas, the one source of both. Requests: zod alone validates every part a
// route reads (body, query, params, headers), in the handler through parseRequestPart, so that each
// route keeps its order of checks (401, 415, 404, 400) and every message names its field our way;
// Fastify's own validator is off (app.ts). The same schemas, turned into JSON Schema (jsonSchema()),
// document the routes in OpenAPI and drive Fastify's fast serializer for responses. Why this way
// and not Fastify-compiled schemas: docs/design-notes.md, "One validation path".
import { z } from 'zod';
import { JOB_STAGES, JOB_STATUSES } from '../jobs/job.js';
import { WEBHOOK_EVENTS } from '../config/schema.js';
import { ValidationError, type FieldProblem } from '../errors/validation-error.js';

export const MAX_PROMPT_CHARS = 2000;
// Control characters other than \n and \t (C0, DEL, C1).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/u;

export const promptSchema = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
  .refine((s) => s.isWellFormed(), 'must be valid Unicode text')
  .transform((s) => s.trim())
  .refine((s) => s.length > 0, 'must not be empty or whitespace-only')
  .refine((s) => [...s].length <= MAX_PROMPT_CHARS, `must be at most ${MAX_PROMPT_CHARS} characters`)
  .refine((s) => !FORBIDDEN_CONTROL.test(s), 'must not contain control characters other than newline and tab')
  // What the checks above mean for the raw text, for the JSON Schema: something other than white
  // space, no forbidden control characters, 1..2000 code points (the server trims first, so a
  // longer text padded with spaces is still accepted).
  .meta({
    minLength: 1,
    maxLength: MAX_PROMPT_CHARS,
    pattern: '^(?=[\\s\\S]*\\S)[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$',
  });

export const createJobBodySchema = z.strictObject(
  { prompt: promptSchema },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field` : 'must be a JSON object') },
);

// Query values arrive as strings. A decimal string becomes a number before the bounds are checked,
// so the JSON Schema (input side) says exactly what the server accepts: an integer within the bounds.
const decimal = (v: unknown) => (typeof v === 'string' && /^-?[0-9]{1,15}$/.test(v) ? Number(v) : v);
const boundedInteger = (min: number, max: number | null, message: string) => {
  let n = z.number({ error: message }).int(message).min(min, message);
  if (max !== null) n = n.max(max, message);
  return z.preprocess(decimal, n);
};

export const listJobsQuerySchema = z.object({
  status: z.enum(JOB_STATUSES, { error: `must be one of ${JOB_STATUSES.join(', ')}` }).optional(),
  limit: boundedInteger(1, 100, 'must be an integer between 1 and 100').optional(),
  cursor: z.string().max(200, 'is too long').optional(),
});

export const MAX_LOG_TAIL = 10_000;
export const logsQuerySchema = z.object({
  // Larger tails are accepted and served as the newest MAX_LOG_TAIL lines.
  tail: z
    .preprocess(
      (v) => (typeof v === 'string' && /^[0-9]{16,}$/.test(v) ? Number(v) : decimal(v)),
      // multipleOf(1) rather than int(): int() would document a 2^53 maximum the server does not have.
      z
        .number({ error: 'must be a non-negative integer' })
        .multipleOf(1, 'must be a non-negative integer')
        .min(0, 'must be a non-negative integer')
        .transform((n) => Math.min(n, MAX_LOG_TAIL)),
    )
    .optional(),
});

export const MIN_EXPIRES_IN = 60;
export const MAX_EXPIRES_IN = 604800;
export const artifactQuerySchema = z.object({
  expires_in: z
    .preprocess(
      decimal,
      z
        .number({ error: 'must be an integer number of seconds' })
        .int('must be an integer number of seconds')
        .min(MIN_EXPIRES_IN, `must be at least ${MIN_EXPIRES_IN} seconds`)
        .max(MAX_EXPIRES_IN, `must be at most ${MAX_EXPIRES_IN} seconds`),
    )
    .optional(),
  redirect: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
});

/** Event ids of the SQLite journal (a sequence number) and of Redis streams (ms-seq). */
export const LAST_EVENT_ID_PATTERN = '^[0-9]{1,15}(-[0-9]{1,10})?$';
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]{1,255}$';

/** Job (and video) ids are UUIDs, compared in lower case. */
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const jobId = (description: string) =>
  z
    .string()
    .refine((s) => JOB_ID.test(s))
    .transform((s) => s.toLowerCase())
    .meta({ format: 'uuid', description });

/** The `:id` of the job routes; an id that is not a UUID names no job (route-params.ts answers 404). */
export const jobIdParamsSchema = z.object({ id: jobId('Job id') });
/** The `:id` of the /v1/videos routes (a video is a job). */
export const videoIdParamsSchema = z.object({ id: jobId('Video id (the job id)') });

/** API key ids as `ttv keys create` makes them (key-secret.ts). */
export const KEY_ID = /^key_[0-9a-f]{16}$/;
/** The `:id` of the key routes; an id of another form names no key (404, not 400). */
export const keyIdParamsSchema = z.object({
  id: z.string().regex(KEY_ID).meta({ description: 'Key id (from GET /v1/keys or `ttv keys list`)' }),
});

const IDEMPOTENCY_KEY_MESSAGE = 'must be 1..255 printable ASCII characters';
/** Headers of the submit routes (POST /v1/jobs, POST /v1/videos). */
export const submitHeadersSchema = z.object({
  'idempotency-key': z
    .string({ error: IDEMPOTENCY_KEY_MESSAGE })
    .regex(new RegExp(IDEMPOTENCY_KEY_PATTERN), IDEMPOTENCY_KEY_MESSAGE)
    .meta({ description: 'Replays the same job for the same body' })
    .optional(),
});
/** Headers of the event stream: Last-Event-ID as sent (trimmed); whether it is an event of the job, the store says. */
export const eventStreamHeadersSchema = z.object({
  'last-event-id': z
    .string()
    .transform((s) => s.trim() || undefined)
    .meta({ pattern: LAST_EVENT_ID_PATTERN, description: 'Resume after this event id' })
    .optional(),
});
/** How headers are named in error answers. */
const HEADER_FIELDS: Record<string, string> = {
  'idempotency-key': 'Idempotency-Key',
  'last-event-id': 'Last-Event-ID',
};

/** POST /v1/jobs/{id}/cancel takes no body, or {}. */
export const cancelBodySchema = z.custom<Record<string, never> | undefined>(
  (v) => v === undefined || (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0),
  { error: 'must be empty or {}' },
);

const webhookEventSchema = z.enum(WEBHOOK_EVENTS, { error: `must be one of ${WEBHOOK_EVENTS.join(', ')}` });
const number = (message: string) => z.number({ error: message });

/** The `options` of POST /v1/jobs as sent; which ones a client may send is server.job_options. */
export const jobOptionsInputSchema = z
  .strictObject(
    {
      backend: z.string({ error: 'must be a string' }).min(1, 'must not be empty').max(64, 'is too long'),
      generation_mode: z.enum(['keyframe', 'chaining'], { error: 'must be keyframe or chaining' }),
      duration_seconds: number('must be a number of seconds')
        .positive('must be positive')
        .max(600, 'must be at most 600'),
      segment_duration_seconds: number('must be a number of seconds')
        .positive('must be positive')
        .max(60, 'must be at most 60'),
      aspect_ratio: z.string({ error: 'must be a string' }).regex(/^[1-9][0-9]?:[1-9][0-9]?$/, 'must look like 16:9'),
      resolution: z
        .string({ error: 'must be a string' })
        .regex(/^[1-9][0-9]{1,3}x[1-9][0-9]{1,3}$/, 'must look like 1280x720'),
      seed: number('must be an integer')
        .int('must be an integer')
        .min(0, 'must be at least 0')
        .max(4294967295, 'must be at most 4294967295'),
      negative_prompt: z
        .string({ error: 'must be a string' })
        .min(1, 'must not be empty')
        .max(MAX_PROMPT_CHARS, `must be at most ${MAX_PROMPT_CHARS} characters`),
      // A data URI (data:image/png;base64,…), or with server.fetch_image_urls an https URL; multipart sends a file part instead.
      image: z.string({ error: 'must be a data URI' }).min(1, 'must not be empty'),
      webhook: z.strictObject(
        {
          url: z
            .string({ error: 'must be a URL' })
            .url('must be a URL')
            .refine((u) => /^https?:\/\//i.test(u), 'must be an http(s) URL'),
          events: z
            .array(webhookEventSchema, { error: 'must be a list of events' })
            .min(1, 'must name at least one event')
            .optional(),
        },
        {
          error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown field' : 'must be an object {url, events}'),
        },
      ),
      max_cost_usd: number('must be a number').positive('must be positive'),
    },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown option' : 'must be a JSON object') },
  )
  .partial();

export const createJobWithOptionsBodySchema = z.strictObject(
  { prompt: promptSchema, options: jobOptionsInputSchema.optional() },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? 'unknown field; only "prompt" and "options" are accepted'
        : 'must be a JSON object',
  },
);

const publicOptionsSchema = z
  .object({
    backend: z.string(),
    generation_mode: z.enum(['keyframe', 'chaining']),
    duration_seconds: z.number(),
    segment_duration_seconds: z.number(),
    aspect_ratio: z.string(),
    resolution: z.string(),
    seed: z.number().int(),
    negative_prompt: z.string(),
    image: z.object({ content_type: z.string(), bytes: z.number().int(), sha256: z.string() }),
    webhook: z.object({ url: z.string(), events: z.array(z.string()) }),
    max_cost_usd: z.number(),
  })
  .partial();

export const jobViewSchema = z.object({
  id: z.string(),
  status: z.enum(JOB_STATUSES),
  stage: z.enum(JOB_STAGES),
  progress: z.number().int().min(0).max(100),
  prompt: z.string(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  gcs_uri: z.string().nullable(),
  artifact_uri: z.string().nullable(),
  error: z.string().nullable(),
  queue_position: z.number().int().nullable(),
  estimated_cost_usd: z.number().nullable(),
  options: publicOptionsSchema.nullable(),
});

/** The 202 answer: the job, plus its webhook secret when it has a per-job webhook (shown this once). */
export const createdJobSchema = jobViewSchema.extend({ webhook_secret: z.string().optional() });

export const cancelResponseSchema = jobViewSchema.extend({ message: z.string() });
/** An API key as the admin API shows it: never its secret nor a hash of it. */
export const apiKeyViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(['jobs', 'admin']),
  status: z.enum(['active', 'revoked']),
  created_at: z.string(),
  revoked_at: z.string().nullable(),
  rate_limit_per_minute: z.number().int().nullable(),
  max_concurrent_jobs: z.number().int().nullable(),
  monthly_budget_usd: z.number().nullable(),
});
export const apiKeyListSchema = z.object({ keys: z.array(apiKeyViewSchema) });
export const jobListSchema = z.object({ jobs: z.array(jobViewSchema), next_cursor: z.string().nullable() });
export const logsResponseSchema = z.object({ lines: z.array(z.string()) });
export const artifactResponseSchema = z.object({
  gcs_uri: z.string().nullable(),
  artifact_uri: z.string(),
  url: z.string(),
  expires_in: z.number().int(),
});
export const errorResponseSchema = z.object({
  error: z.string(),
  message: z.string(),
  details: z.record(z.string(), z.unknown()).nullable(),
  timestamp: z.string(),
  request_id: z.string(),
  retryable: z.boolean(),
});

/** JSON Schema for OpenAPI and fast-json-stringify. */
export function jsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const out = z.toJSONSchema(schema, { target: 'draft-7', io, unrepresentable: 'any' }) as Record<string, unknown>;
  delete out.$schema;
  return out;
}

/** Options sent to a server that allows none: name the setting that would allow them. */
export const NO_JOB_OPTIONS =
  'is not allowed on this server: it accepts no per-job options (the server setting server.job_options lists those clients may send)';

/**
 * Parses one part of a request; any problem becomes a 400 ValidationError naming the field(s).
 * `firstOnly`: name only the first problem (the OpenAI-compatible routes answer one `param`).
 */
export function parseRequestPart<S extends z.ZodType>(
  schema: S,
  value: unknown,
  part: 'body' | 'query' | 'params' | 'headers',
  options: { firstOnly?: boolean } = {},
): z.output<S> {
  const result = schema.safeParse(value ?? (part === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const problems: FieldProblem[] = [];
  if (options.firstOnly) result.error.issues.splice(1);
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      const at = issue.path.length > 0 ? `${issue.path.join('.')}.` : '';
      for (const key of issue.keys)
        problems.push({
          field: `${at}${key}`,
          message:
            at || issue.message !== 'unknown field'
              ? issue.message
              : key === 'options'
                ? NO_JOB_OPTIONS
                : 'unknown field; only "prompt" is accepted',
        });
      continue;
    }
    const field = issue.path.length > 0 ? issue.path.join('.') : part;
    problems.push({ field: part === 'headers' ? (HEADER_FIELDS[field] ?? field) : field, message: issue.message });
  }
  throw new ValidationError(problems);
}

const health = z.enum(['healthy', 'unhealthy']);
export const livenessSchema = z.object({
  status: z.literal('healthy'),
  timestamp: z.string(),
  version: z.string(),
  components: z.object({ api: health }),
});
export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  timestamp: z.string(),
  version: z.string(),
  components: z.object({
    api: health,
    job_store: health,
    queue: health,
    artifact_store: health,
    workers: health,
    disk: health,
  }),
  live_workers: z.number().int().min(0),
  /**
   * Live workers that take no new job now (e.g. low disk space under their data dir), with the reason
   * from their last heartbeat. When every live worker is listed, `components.workers` is unhealthy (503).
   */
  workers_blocked: z.array(z.object({ worker_id: z.string(), reason: z.string() })),
  /** Named causes that keep the service from being ready beyond the components (empty when none). */
  problems: z.array(z.object({ reason: z.string(), message: z.string() })),
  /** Something an operator must look into that does not stop the service (it stays ready). */
  warnings: z.array(
    z.union([
      z.object({
        component: z.literal('job_store'),
        reason: z.enum(['job_store_data_lost']),
        message: z.string(),
        since: z.string(),
      }),
      // A deprecated model of the backend chain within 30 days of its announced shutdown.
      z.object({
        component: z.literal('video_backend'),
        reason: z.enum(['model_shutdown_soon']),
        message: z.string(),
        backend: z.string(),
        model: z.string(),
        shutdown: z.string().meta({ format: 'date' }),
      }),
    ]),
  ),
});
export const metricsSummarySchema = z.object({
  active_jobs: z.number().int(),
  queued_jobs: z.number().int(),
  total_jobs_processed: z.number().int(),
  average_processing_time: z.number(),
  uptime_seconds: z.number().int(),
  total_requests: z.number().int(),
  average_request_latency: z.number(),
  requests_per_second: z.number(),
  jobs_per_hour: z.number(),
  queue_depth: z.number().int(),
  status_code_distribution: z.record(z.string(), z.number().int()),
  store_available: z.boolean(),
});
export const serviceDescriptionSchema = z.object({
  name: z.string(),
  version: z.string(),
  description: z.string(),
  docs_url: z.string(),
});

const backendSummarySchema = z.object({
  id: z.string(),
  available: z.boolean(),
  problem: z.string().nullable(),
  durations: z.array(z.number()).nullable(),
  min_duration_seconds: z.number().nullable(),
  max_duration_seconds: z.number().nullable(),
  aspect_ratios: z.array(z.string()).nullable(),
  text_to_video: z.boolean(),
  image_to_video: z.boolean(),
  first_last_frame: z.boolean(),
  seed: z.boolean(),
  resolution: z.boolean(),
  negative_prompt: z.boolean(),
  usd_per_second: z.number().nullable(),
  max_prompt_length: z.number().int().nullable(),
  model: z.string().nullable(),
  model_lifecycle: z.string().nullable(),
});
export const capabilitiesResponseSchema = z.object({
  job_options: z.array(z.string()),
  default_backend: z.string(),
  default_segment_duration_seconds: z.number(),
  generation_modes: z.array(z.string()),
  max_image_bytes: z.number().int(),
  fetch_image_urls: z.boolean(),
  webhook_events: z.array(z.string()),
  backends: z.array(backendSummarySchema),
  openai_models: z.record(z.string(), z.string()).meta({
    description:
      'The openai_compat.models this key may send as `model` on /v1/videos, each with its backend (models of the default backend, and every model when the key may send `backend`)',
  }),
});

// GET /v1/models: OpenAI's model list shape, with ttv's capability fields (src/catalog/model-listing.ts).
const lifecycleOut = z.object({
  status: z.enum(['ga', 'preview', 'deprecated', 'retired']),
  released: z.string().meta({ format: 'date' }).optional(),
  shutdown: z.string().meta({ format: 'date' }).optional(),
  replacement: z.string().optional(),
  note: z.string().optional(),
});
export const modelEntrySchema = z.object({
  id: z.string().meta({ description: 'The vendor model id (a fal endpoint id for fal)' }),
  object: z.literal('model'),
  created: z.number().int().meta({ description: 'Release date (Unix seconds), where known' }).optional(),
  owned_by: z.string().meta({ description: 'The vendor (runway, google-vertex, gemini-api, minimax, fal), or ttv' }),
  backend: z.string(),
  modes: z
    .object({
      text: z.union([z.array(z.string()), z.literal('any')]).nullable(),
      image: z.union([z.array(z.string()), z.enum(['follows-image', 'any'])]).nullable(),
      first_last: z.boolean(),
    })
    .meta({ description: 'Aspect ratios per mode; null: no such mode' }),
  durations: z.union([z.object({ seconds: z.array(z.number()) }), z.object({ min: z.number(), max: z.number() })]),
  resolutions: z.array(z.string()).nullable(),
  audio: z.enum(['none', 'optional', 'always']),
  usd_per_second: z.number(),
  max_prompt_length: z.number().int(),
  lifecycle: lifecycleOut,
  source: z.object({ ref: z.string(), read: z.string().meta({ format: 'date' }) }),
  config_key: z.string().nullable(),
  configured: z
    .boolean()
    .meta({ description: 'The model its config key names now: jobs on its backend render with it' }),
  credentials: z.boolean(),
  origin: z.enum(['shipped', 'config', 'builtin']),
  maps_to: z.object({ backend: z.string(), model: z.string() }).optional().meta({
    description:
      'A `model` name of POST /v1/videos (ttv-preview, sora-2, sora-2-pro, openai_compat.models): the backend and model it renders with',
  }),
});
export const modelListSchema = z.object({ object: z.literal('list'), data: z.array(modelEntrySchema) });

// The OpenAI Videos API shapes (as the official `openai` SDK types them).
export const videoObjectSchema = z.object({
  id: z.string(),
  object: z.literal('video'),
  status: z.enum(['queued', 'in_progress', 'completed', 'failed']),
  progress: z.number().int(),
  created_at: z.number().int(),
  completed_at: z.number().int().nullable(),
  expires_at: z.number().int().nullable(),
  model: z.string(),
  prompt: z.string(),
  seconds: z.string(),
  size: z.string(),
  remixed_from_video_id: z.string().nullable(),
  extended_from_video_id: z
    .string()
    .nullable()
    .meta({ description: 'ttv: the video this one extends (POST /v1/videos/extensions)' }),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export const videoListSchema = z.object({
  object: z.literal('list'),
  data: z.array(videoObjectSchema),
  first_id: z.string().nullable(),
  last_id: z.string().nullable(),
  has_more: z.boolean(),
});
export const videoDeletedSchema = z.object({
  id: z.string(),
  object: z.literal('video.deleted'),
  deleted: z.boolean(),
});
export const openAiErrorSchema = z.object({
  error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() }),
});
const VIDEO_LIMIT_MESSAGE = 'must be an integer between 1 and 100';
/** In the order the route has always judged them (it names the first problem only). */
export const listVideosQuerySchema = z.object({
  // Read with Number(), as this route always has ("5.0" is 5); the checks keep it an integer 1..100.
  limit: z
    .preprocess(
      (v) => (v === undefined ? v : Number(v)),
      z
        .number({ error: VIDEO_LIMIT_MESSAGE })
        .int(VIDEO_LIMIT_MESSAGE)
        .min(1, VIDEO_LIMIT_MESSAGE)
        .max(100, VIDEO_LIMIT_MESSAGE),
    )
    .optional(),
  order: z.enum(['asc', 'desc'], { error: 'must be asc or desc' }).optional(),
  after: z
    .string({ error: 'must be a video id' })
    .refine((s) => JOB_ID.test(s), 'must be a video id')
    .meta({ format: 'uuid' })
    .optional(),
});
export const videoContentQuerySchema = z.object({
  variant: z
    .enum(['video', 'thumbnail', 'spritesheet'], { error: 'must be video, thumbnail or spritesheet' })
    .optional(),
});

/** POST /v1/videos (JSON, or the fields of a multipart form: see openai/video-request.ts). */
export const createVideoBodySchema = z.strictObject(
  {
    prompt: promptSchema,
    model: z
      .string({ error: 'must be a string' })
      .min(1, 'must not be empty')
      .max(200, 'is too long')
      .meta({ description: 'A key of openai_compat.models' })
      .optional(),
    seconds: z
      .union([z.string().regex(/^[0-9]{1,3}(\.[0-9]{1,3})?$/), z.number().min(0).max(600)], {
        error: 'must be a number of seconds, e.g. "4"',
      })
      .meta({ description: 'Video length (needs the duration_seconds job option)' })
      .optional(),
    size: z
      .string({ error: 'must be a string' })
      .regex(/^[1-9][0-9]{1,3}x[1-9][0-9]{1,3}$/, 'must look like 1280x720')
      .meta({ description: 'WIDTHxHEIGHT (needs the aspect_ratio job option)' })
      .optional(),
    input_reference: z
      .strictObject(
        { image_url: z.string({ error: 'must be a string' }).min(1) },
        { error: 'must be an uploaded image or {image_url}' },
      )
      .optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown parameter' : 'must be a JSON object') },
);
