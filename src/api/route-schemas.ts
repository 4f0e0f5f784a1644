// Every route's Fastify schema, built from the zod schemas in schemas.ts that validate the requests:
// @fastify/swagger turns these into /openapi.json, so the document and the checks cannot drift.
// Each operation lists every status it can answer; errors all use the envelope.
import { STATUS_CODES } from 'node:http';
import type { FastifySchema } from 'fastify';
import {
  IDEMPOTENCY_KEY_PATTERN, LAST_EVENT_ID_PATTERN, artifactQuerySchema, artifactResponseSchema, cancelResponseSchema,
  createJobWithOptionsBodySchema, createdJobSchema, errorResponseSchema, jobListSchema, jobViewSchema, jsonSchema, listJobsQuerySchema,
  capabilitiesResponseSchema, listVideosQuerySchema, openAiErrorSchema, videoContentQuerySchema, videoDeletedSchema, videoListSchema, videoObjectSchema,
  livenessSchema, logsQuerySchema, logsResponseSchema, metricsSummarySchema, readinessSchema, serviceDescriptionSchema,
} from './schemas.js';

/** Marks an operation as bearer-protected; the document drops it when no token is configured. */
export const BEARER_SECURITY = [{ bearer: [] as string[] }];
const OPEN: { bearer: string[] }[] = [];

const requestId = { 'x-request-id': { type: 'string', description: 'Request id (echoed from the request or generated)' } };
const envelope = jsonSchema(errorResponseSchema);

function errors(...codes: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const code of codes) {
    const headers: Record<string, unknown> = { ...requestId };
    if (code === 401) headers['www-authenticate'] = { type: 'string' };
    if (code === 429) headers['retry-after'] = { type: 'string', pattern: '^[0-9]+$' };
    out[code] = { description: `${STATUS_CODES[code]} (error envelope)`, headers, ...envelope };
  }
  return out;
}

const json = (schema: Record<string, unknown>, description: string, headers: Record<string, unknown> = {}) =>
  ({ description, headers: { ...requestId, ...headers }, ...schema });

const idParams = {
  type: 'object',
  properties: { id: { type: 'string', format: 'uuid', description: 'Job id' } },
  required: ['id'],
};

// Answers any operation can give: a URL Fastify cannot decode (400), a bug (500), a store outage or
// shutdown (503). /v1 adds 401 (bearer) and 429 (rate limits).
const COMMON = [400, 500, 503];
const V1 = [...COMMON, 401, 429];

type OperationSchema = FastifySchema & { operationId: string; summary: string; tags: string[]; security: typeof OPEN };

export const createJobSchema: OperationSchema = {
  operationId: 'createJob',
  summary: 'Submit a prompt; the job is queued',
  tags: ['jobs'],
  security: BEARER_SECURITY,
  description: [
    'Any field but `prompt` is refused unless the operator lists it in `server.job_options` (or the key\'s own list);',
    '`GET /v1/capabilities` says which this key may send. With the `image` option allowed, the body may be',
    'multipart/form-data: fields `prompt` and `options` (JSON text), file part `image`.',
    'A job with its own webhook gets `webhook_secret` in this answer, once.',
  ].join(' '),
  body: {
    content: {
      'application/json': { schema: jsonSchema(createJobWithOptionsBodySchema, 'input') },
      'multipart/form-data': {
        schema: {
          type: 'object',
          properties: {
            prompt: { type: 'string', minLength: 1, maxLength: 2000 },
            options: { type: 'string', description: 'The options object as JSON text' },
            image: { type: 'string', format: 'binary', description: 'First frame (PNG, JPEG, WebP)' },
          },
          required: ['prompt'],
        },
      },
    },
  },
  headers: {
    type: 'object',
    properties: { 'idempotency-key': { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN, description: 'Replays the same job for the same body' } },
  },
  response: {
    202: json(jsonSchema(createdJobSchema), 'Accepted: the queued job (or the one this Idempotency-Key created); webhook_secret only for a job with its own webhook', {
      location: { type: 'string', description: 'The job URL' },
    }),
    ...errors(...V1, 402, 413, 415, 422),
  },
};

export const listJobsSchema: OperationSchema = {
  operationId: 'listJobs',
  summary: 'List jobs, newest first',
  tags: ['jobs'],
  security: BEARER_SECURITY,
  querystring: jsonSchema(listJobsQuerySchema, 'input'),
  response: { 200: json(jsonSchema(jobListSchema), 'A page of jobs'), ...errors(...V1) },
};

export const getJobSchema: OperationSchema = {
  operationId: 'getJob',
  summary: 'Read one job',
  tags: ['jobs'],
  security: BEARER_SECURITY,
  params: idParams,
  response: { 200: json(jsonSchema(jobViewSchema), 'The job'), ...errors(...V1, 404) },
};

export const deleteJobSchema: OperationSchema = {
  operationId: 'deleteJob',
  summary: 'Delete a finished, failed or canceled job with its logs, events and artifact',
  tags: ['jobs'],
  security: BEARER_SECURITY,
  params: idParams,
  response: { 204: { description: 'Deleted', type: 'null', headers: requestId }, ...errors(...V1, 404, 409) },
};

export const cancelJobSchema: OperationSchema = {
  operationId: 'cancelJob',
  summary: 'Cancel a queued or running job (no body, or {})',
  tags: ['jobs'],
  security: BEARER_SECURITY,
  params: idParams,
  response: { 200: json(jsonSchema(cancelResponseSchema), 'Cancellation started'), ...errors(...V1, 404, 409, 413, 415) },
};

export const jobLogsSchema: OperationSchema = {
  operationId: 'getJobLogs',
  summary: 'Job log lines, oldest first',
  tags: ['jobs'],
  security: BEARER_SECURITY,
  params: idParams,
  querystring: jsonSchema(logsQuerySchema, 'input'),
  response: { 200: json(jsonSchema(logsResponseSchema), 'The newest `tail` lines'), ...errors(...V1, 404) },
};

export const jobArtifactSchema: OperationSchema = {
  operationId: 'getJobArtifact',
  summary: 'A signed download URL for a finished job (redirect=true answers 302)',
  tags: ['jobs'],
  security: BEARER_SECURITY,
  params: idParams,
  querystring: jsonSchema(artifactQuerySchema, 'input'),
  response: {
    200: json(jsonSchema(artifactResponseSchema), 'The signed URL'),
    302: {
      description: 'With redirect=true: a redirect to the signed URL',
      type: 'null',
      headers: { ...requestId, location: { type: 'string', format: 'uri', description: 'The signed URL' } },
    },
    ...errors(...V1, 404),
  },
};

export const jobEventsSchema: OperationSchema = {
  operationId: 'streamJobEvents',
  summary: 'Server-Sent Events: status, progress and log events; resume with Last-Event-ID',
  description: [
    'Each event has an `id`; `event` is `status` (data `{status, stage, progress, error, artifact_uri}`),',
    '`progress` (data `{progress, stage}`) or `log` (data `{line}`). Comment lines keep idle streams alive.',
    'The stream ends after the terminal `status` event; a resume at or past it receives that event again and ends.',
    'An id that is not an event of this job is a 400.',
  ].join(' '),
  tags: ['jobs'],
  security: BEARER_SECURITY,
  params: idParams,
  headers: {
    type: 'object',
    properties: { 'last-event-id': { type: 'string', pattern: LAST_EVENT_ID_PATTERN, description: 'Resume after this event id' } },
  },
  response: {
    200: {
      description: 'The event stream',
      headers: requestId,
      content: { 'text/event-stream': { schema: { type: 'string', description: 'text/event-stream frames' } } },
    },
    ...errors(...V1, 404),
  },
};

export const livenessRouteSchema: OperationSchema = {
  operationId: 'getHealth',
  summary: 'Liveness',
  tags: ['health'],
  security: OPEN,
  response: { 200: json(jsonSchema(livenessSchema), 'The process is up'), ...errors(...COMMON) },
};

export const readinessRouteSchema: OperationSchema = {
  operationId: 'getReadiness',
  summary: 'Readiness of the job store, queue, artifact store and workers',
  tags: ['health'],
  security: OPEN,
  response: {
    200: json(jsonSchema(readinessSchema), 'Every component is healthy'),
    503: json(jsonSchema(readinessSchema), 'Some component is unhealthy (same body, status not_ready)'),
    ...errors(400, 500),
  },
};

const prometheusText = { 'text/plain': { schema: { type: 'string', description: 'Prometheus text format 0.0.4' } } };

export const metricsRouteSchema: OperationSchema = {
  operationId: 'getMetrics',
  summary: 'Prometheus text; JSON summary with Accept: application/json',
  tags: ['health'],
  security: OPEN,
  response: {
    200: { description: 'Metrics', headers: requestId, content: { ...prometheusText, 'application/json': { schema: jsonSchema(metricsSummarySchema) } } },
    ...errors(...COMMON),
  },
};

export const prometheusRouteSchema: OperationSchema = {
  operationId: 'getPrometheusMetrics',
  summary: 'Prometheus text',
  tags: ['health'],
  security: OPEN,
  response: { 200: { description: 'Metrics', headers: requestId, content: prometheusText }, ...errors(...COMMON) },
};

export const rootRouteSchema: OperationSchema = {
  operationId: 'getRoot',
  summary: 'Dashboard page, or the service description with Accept: application/json',
  tags: ['meta'],
  security: OPEN,
  response: {
    200: {
      description: 'The dashboard, or the service description',
      headers: requestId,
      content: { 'text/html': { schema: { type: 'string' } }, 'application/json': { schema: jsonSchema(serviceDescriptionSchema) } },
    },
    ...errors(...COMMON, 429),
  },
};

export const openApiRouteSchema: OperationSchema = {
  operationId: 'getOpenApiDocument',
  summary: 'This OpenAPI document',
  tags: ['meta'],
  security: OPEN,
  response: { 200: { description: 'OpenAPI 3.1 document', headers: requestId, content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } } }, ...errors(...COMMON) },
};

export const capabilitiesSchema: OperationSchema = {
  operationId: 'getCapabilities',
  summary: 'Per-job options this key may send, and what each backend renders (durations, ratios, prices)',
  tags: ['jobs'],
  security: BEARER_SECURITY,
  response: { 200: json(jsonSchema(capabilitiesResponseSchema), 'The options and backends'), ...errors(...V1) },
};

// /v1/videos answers errors in OpenAI's envelope, not ttv's.
const openAiEnvelope = jsonSchema(openAiErrorSchema);
function openAiErrors(...codes: number[]): Record<number, unknown> {
  const out: Record<number, unknown> = {};
  for (const code of codes) {
    const headers: Record<string, unknown> = { ...requestId };
    if (code === 401) headers['www-authenticate'] = { type: 'string' };
    if (code === 429) headers['retry-after'] = { type: 'string', pattern: '^[0-9]+$' };
    out[code] = { description: `${STATUS_CODES[code]} (OpenAI error envelope)`, headers, ...openAiEnvelope };
  }
  return out;
}
const videoIdParams = { type: 'object', properties: { id: { type: 'string', format: 'uuid', description: 'Video id (the job id)' } }, required: ['id'] };
const createVideoFields = {
  type: 'object',
  properties: {
    prompt: { type: 'string', minLength: 1, maxLength: 2000 },
    model: { type: 'string', description: 'A key of openai_compat.models' },
    seconds: { type: 'string', pattern: '^[0-9]{1,3}(\\.[0-9]{1,3})?$', description: 'Video length (needs the duration_seconds job option)' },
    size: { type: 'string', pattern: '^[1-9][0-9]{1,3}x[1-9][0-9]{1,3}$', description: 'WIDTHxHEIGHT (needs the aspect_ratio job option)' },
  },
  required: ['prompt'],
};

export const createVideoSchema: OperationSchema = {
  operationId: 'createVideo',
  summary: 'OpenAI-compatible: create a video (JSON or multipart with an input_reference image)',
  tags: ['videos'],
  security: BEARER_SECURITY,
  body: {
    content: {
      'application/json': { schema: { ...createVideoFields, properties: { ...createVideoFields.properties, input_reference: { type: 'object', properties: { image_url: { type: 'string' } }, required: ['image_url'] } } } },
      'multipart/form-data': { schema: { ...createVideoFields, properties: { ...createVideoFields.properties, input_reference: { type: 'string', format: 'binary', description: 'First-frame image (PNG, JPEG, WebP)' } } } },
    },
  },
  response: { 200: json(jsonSchema(videoObjectSchema), 'The queued video'), ...openAiErrors(...V1, 402, 413, 415, 422) },
};

export const listVideosSchema: OperationSchema = {
  operationId: 'listVideos',
  summary: 'OpenAI-compatible: list videos (cursor `after`, `limit`, `order`)',
  tags: ['videos'],
  security: BEARER_SECURITY,
  querystring: jsonSchema(listVideosQuerySchema, 'input'),
  response: { 200: json(jsonSchema(videoListSchema), 'A page of videos'), ...openAiErrors(...V1) },
};

export const getVideoSchema: OperationSchema = {
  operationId: 'getVideo',
  summary: 'OpenAI-compatible: retrieve a video',
  tags: ['videos'],
  security: BEARER_SECURITY,
  params: videoIdParams,
  response: { 200: json(jsonSchema(videoObjectSchema), 'The video'), ...openAiErrors(...V1, 404) },
};

export const deleteVideoSchema: OperationSchema = {
  operationId: 'deleteVideo',
  summary: 'OpenAI-compatible: delete a video (a running one is canceled first) and its file',
  tags: ['videos'],
  security: BEARER_SECURITY,
  params: videoIdParams,
  response: { 200: json(jsonSchema(videoDeletedSchema), 'Deleted'), ...openAiErrors(...V1, 404, 409) },
};

export const videoContentSchema: OperationSchema = {
  operationId: 'getVideoContent',
  summary: 'OpenAI-compatible: the MP4 (Range supported; a redirect to a signed URL for cloud stores), or a JPEG thumbnail / sprite sheet',
  tags: ['videos'],
  security: BEARER_SECURITY,
  params: videoIdParams,
  querystring: jsonSchema(videoContentQuerySchema, 'input'),
  response: {
    200: { description: 'The video or image', headers: requestId, content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } }, 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } },
    206: { description: 'A byte range of the video', headers: requestId, content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } } },
    302: { description: 'Cloud stores: a redirect to a signed URL', type: 'null', headers: { ...requestId, location: { type: 'string', format: 'uri' } } },
    ...openAiErrors(...V1, 404, 416),
  },
};
