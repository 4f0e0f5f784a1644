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
  .refine((s) => !FORBIDDEN_CONTROL.test(s), 'must not contain control characters other than newline and tab');

export const createJobBodySchema = z.strictObject(
  { prompt: promptSchema },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown field` : 'must be a JSON object') },
);

const intString = (name: string) => z.string().regex(/^[0-9]{1,9}$/, `${name} must be a non-negative integer`).transform(Number);

export const listJobsQuerySchema = z.object({
  status: z.enum(JOB_STATUSES, { error: `must be one of ${JOB_STATUSES.join(', ')}` }).optional(),
  limit: intString('limit').pipe(z.number().min(1, 'must be between 1 and 100').max(100, 'must be between 1 and 100')).optional(),
  cursor: z.string().max(200, 'is too long').optional(),
});

export const logsQuerySchema = z.object({
  tail: z
    .string()
    .regex(/^-?[0-9]+$/, 'must be a non-negative integer')
    .refine((s) => !s.startsWith('-'), 'must be a non-negative integer')
    .transform((s) => Math.min(Number(s.slice(0, 12)), 10_000))
    .optional(),
});

export const artifactQuerySchema = z.object({
  expires_in: z
    .string()
    .regex(/^-?[0-9]+$/, 'must be an integer number of seconds')
    .transform((s) => Number(s.slice(0, 12)))
    .pipe(z.number().min(60, 'expires_in must be at least 60 seconds').max(604800, 'expires_in cannot exceed 604800 seconds'))
    .optional(),
  redirect: z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
});

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
