// Request and response schemas. Zod validates requests inside the handlers (so every message names
// its field our way); the same schemas, turned into JSON Schema, document the routes in OpenAPI and
// drive Fastify's fast serializer for responses.
import { z } from 'zod';
import { JOB_STAGES, JOB_STATUSES } from '../jobs/job.js';
import { validationError, type FieldProblem } from './errors/validation-error.js';

export const MAX_PROMPT_CHARS = 2000;
// Control characters other than \n and \t (C0, DEL, C1).
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
  .meta({ minLength: 1, maxLength: MAX_PROMPT_CHARS, pattern: '^(?=[\\s\\S]*\\S)[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]*$' });

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
  tail: z.preprocess(
    (v) => (typeof v === 'string' && /^[0-9]{16,}$/.test(v) ? Number(v) : decimal(v)),
    // multipleOf(1) rather than int(): int() would document a 2^53 maximum the server does not have.
    z.number({ error: 'must be a non-negative integer' }).multipleOf(1, 'must be a non-negative integer').min(0, 'must be a non-negative integer')
      .transform((n) => Math.min(n, MAX_LOG_TAIL)),
  ).optional(),
});

export const MIN_EXPIRES_IN = 60;
export const MAX_EXPIRES_IN = 604800;
export const artifactQuerySchema = z.object({
  expires_in: z.preprocess(decimal, z.number({ error: 'must be an integer number of seconds' })
    .int('must be an integer number of seconds')
    .min(MIN_EXPIRES_IN, `expires_in must be at least ${MIN_EXPIRES_IN} seconds`)
    .max(MAX_EXPIRES_IN, `expires_in cannot exceed ${MAX_EXPIRES_IN} seconds`)).optional(),
  redirect: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
});

/** Event ids of the SQLite journal (a sequence number) and of Redis streams (ms-seq). */
export const LAST_EVENT_ID_PATTERN = '^[0-9]{1,15}(-[0-9]{1,10})?$';
export const IDEMPOTENCY_KEY_PATTERN = '^[\\x21-\\x7e]{1,255}$';

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
});

export const cancelResponseSchema = jobViewSchema.extend({ message: z.string() });
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

/** Parses one part of a request; any problem becomes a 400 ValidationError naming the field. */
export function parseRequestPart<S extends z.ZodType>(schema: S, value: unknown, part: 'body' | 'query' | 'params'): z.output<S> {
  const result = schema.safeParse(value ?? (part === 'body' ? undefined : {}));
  if (result.success) return result.data;
  const problems: FieldProblem[] = [];
  for (const issue of result.error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: key, message: 'unknown field; only "prompt" is accepted' });
      continue;
    }
    const field = issue.path.length > 0 ? issue.path.join('.') : part;
    problems.push({ field, message: issue.message });
  }
  throw validationError(problems);
}

const health = z.enum(['healthy', 'unhealthy']);
export const livenessSchema = z.object({
  status: z.literal('healthy'), timestamp: z.string(), version: z.string(), components: z.object({ api: health }),
});
export const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  timestamp: z.string(),
  version: z.string(),
  components: z.object({ api: health, job_store: health, queue: health, artifact_store: health, workers: health }),
  live_workers: z.number().int().min(0),
  /** Named causes that keep the service from being ready beyond the components (empty when none). */
  problems: z.array(z.object({ reason: z.string(), message: z.string() })),
  /** Something an operator must look into that does not stop the service (it stays ready). */
  warnings: z.array(z.object({
    component: z.literal('job_store'),
    reason: z.enum(['job_store_data_lost']),
    message: z.string(),
    since: z.string(),
  })),
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
export const serviceDescriptionSchema = z.object({ name: z.string(), version: z.string(), description: z.string(), docs_url: z.string() });
