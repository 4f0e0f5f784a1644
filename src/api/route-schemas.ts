// Every route's Fastify schema, built from the zod schemas in schemas.ts that the handlers validate
// each request part with (body, query, params, headers): @fastify/swagger turns these into
// /openapi.json, so the document and the checks cannot drift. They document and serialize only;
// Fastify does not validate with them (see schemas.ts). Each operation lists every status it can
// answer; errors all use the envelope.
import { STATUS_CODES } from 'node:http';
import type { FastifySchema } from 'fastify';
import {
  apiKeyListSchema,
  apiKeyViewSchema,
  artifactQuerySchema,
  artifactResponseSchema,
  cancelResponseSchema,
  capabilitiesResponseSchema,
  createdJobSchema,
  createJobWithOptionsBodySchema,
  createVideoBodySchema,
  errorResponseSchema,
  eventStreamHeadersSchema,
  jobIdParamsSchema,
  jobListSchema,
  jobViewSchema,
  keyIdParamsSchema,
  jsonSchema,
  listJobsQuerySchema,
  listVideosQuerySchema,
  livenessSchema,
  logsQuerySchema,
  logsResponseSchema,
  metricsSummarySchema,
  modelListSchema,
  openAiErrorSchema,
  promptSchema,
  readinessSchema,
  serviceDescriptionSchema,
  submitHeadersSchema,
  videoContentQuerySchema,
  videoDeletedSchema,
  videoIdParamsSchema,
  videoListSchema,
  videoObjectSchema,
} from './schemas.js';

/** Marks an operation as bearer-protected; the document drops it when no token is configured. */
export const BEARER_SECURITY = [{ bearer: [] as string[] }];
const OPEN: { bearer: string[] }[] = [];

const requestId = {
  'x-request-id': { type: 'string', description: 'Request id (echoed from the request or generated)' },
};

/** The error answers of the given statuses, all with one envelope (ttv's, or OpenAI's on /v1/videos). */
function errorAnswers(envelope: Record<string, unknown>, label: string) {
  return (...codes: number[]): Record<number, unknown> => {
    const out: Record<number, unknown> = {};
    for (const code of codes) {
      const headers: Record<string, unknown> = { ...requestId };
      if (code === 401) headers['www-authenticate'] = { type: 'string' };
      if (code === 429) headers['retry-after'] = { type: 'string', pattern: '^[0-9]+$' };
      out[code] = { description: `${STATUS_CODES[code]} (${label})`, headers, ...envelope };
    }
    return out;
  };
}
const errors = errorAnswers(jsonSchema(errorResponseSchema), 'error envelope');
// /v1/videos answers errors in OpenAI's envelope, not ttv's.
const openAiErrors = errorAnswers(jsonSchema(openAiErrorSchema), 'OpenAI error envelope');

const json = (schema: Record<string, unknown>, description: string, headers: Record<string, unknown> = {}) => ({
  description,
  headers: { ...requestId, ...headers },
  ...schema,
});
/** A 200 answer with the JSON of a zod schema. */
const ok = (schema: Parameters<typeof jsonSchema>[0], description: string) => ({
  200: json(jsonSchema(schema), description),
});
const binary = { schema: { type: 'string', format: 'binary' } };
const redirect = (description: string, location: Record<string, unknown> = {}) => ({
  description,
  type: 'null',
  headers: { ...requestId, location: { type: 'string', format: 'uri', ...location } },
});

// Request parts, from the zod schemas the handlers parse them with.
const idParams = jsonSchema(jobIdParamsSchema, 'input');
const videoIdParams = jsonSchema(videoIdParamsSchema, 'input');
const submitHeaders = jsonSchema(submitHeadersSchema, 'input');

// Answers any operation can give: a URL Fastify cannot decode (400), a request line and headers over
// Node's header limit (431, written by the HTTP parser's handler), a bug (500), a store outage or
// shutdown (503). /v1 adds 401 (bearer) and 429 (rate limits).
const COMMON = [400, 431, 500, 503];
const V1 = [...COMMON, 401, 429];

type OperationSchema = FastifySchema & { operationId: string; summary: string; tags: string[]; security: typeof OPEN };
type Tag = 'jobs' | 'videos' | 'models' | 'keys' | 'health' | 'meta';

/** One operation: the job, video, model and key APIs are bearer-protected, health and meta open. */
function operation(
  tag: Tag,
  operationId: string,
  summary: string,
  parts: Omit<FastifySchema, 'operationId' | 'summary' | 'tags' | 'security'>,
): OperationSchema {
  return {
    operationId,
    summary,
    tags: [tag],
    security: tag === 'jobs' || tag === 'videos' || tag === 'models' || tag === 'keys' ? BEARER_SECURITY : OPEN,
    ...parts,
  };
}

export const createJobSchema = operation('jobs', 'createJob', 'Submit a prompt; the job is queued', {
  description: [
    "Any field but `prompt` is refused unless the operator lists it in `server.job_options` (or the key's own list);",
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
            prompt: jsonSchema(promptSchema, 'input'),
            options: { type: 'string', description: 'The options object as JSON text' },
            image: { type: 'string', format: 'binary', description: 'First frame (PNG, JPEG, WebP)' },
          },
          required: ['prompt'],
        },
      },
    },
  },
  headers: submitHeaders,
  response: {
    202: json(
      jsonSchema(createdJobSchema),
      'Accepted: the queued job (or the one this Idempotency-Key created); webhook_secret only for a job with its own webhook',
      {
        location: { type: 'string', description: 'The job URL' },
      },
    ),
    ...errors(...V1, 402, 413, 415, 422),
  },
});

export const listJobsSchema = operation('jobs', 'listJobs', 'List jobs, newest first', {
  querystring: jsonSchema(listJobsQuerySchema, 'input'),
  response: { ...ok(jobListSchema, 'A page of jobs'), ...errors(...V1) },
});

export const getJobSchema = operation('jobs', 'getJob', 'Read one job', {
  params: idParams,
  response: { ...ok(jobViewSchema, 'The job'), ...errors(...V1, 404) },
});

export const deleteJobSchema = operation(
  'jobs',
  'deleteJob',
  'Delete a finished, failed or canceled job with its logs, events and artifact',
  {
    params: idParams,
    response: { 204: { description: 'Deleted', type: 'null', headers: requestId }, ...errors(...V1, 404, 409) },
  },
);

// The body (none, or {}) is cancelBodySchema's; the summary says it, the document shows no body.
export const cancelJobSchema = operation('jobs', 'cancelJob', 'Cancel a queued or running job (no body, or {})', {
  params: idParams,
  response: { ...ok(cancelResponseSchema, 'Cancellation started'), ...errors(...V1, 404, 409, 413, 415) },
});

export const jobLogsSchema = operation('jobs', 'getJobLogs', 'Job log lines, oldest first', {
  params: idParams,
  querystring: jsonSchema(logsQuerySchema, 'input'),
  response: { ...ok(logsResponseSchema, 'The newest `tail` lines'), ...errors(...V1, 404) },
});

export const jobArtifactSchema = operation(
  'jobs',
  'getJobArtifact',
  'A signed download URL for a finished job (redirect=true answers 302)',
  {
    params: idParams,
    querystring: jsonSchema(artifactQuerySchema, 'input'),
    response: {
      200: json(jsonSchema(artifactResponseSchema), 'The signed URL'),
      302: redirect('With redirect=true: a redirect to the signed URL', { description: 'The signed URL' }),
      ...errors(...V1, 404),
    },
  },
);

export const jobEventsSchema = operation(
  'jobs',
  'streamJobEvents',
  'Server-Sent Events: status, progress and log events; resume with Last-Event-ID',
  {
    description: [
      'Each event has an `id`; `event` is `status` (data `{status, stage, progress, error, artifact_uri}`),',
      '`progress` (data `{progress, stage}`) or `log` (data `{line}`). Comment lines keep idle streams alive.',
      'The stream ends after the terminal `status` event; a resume at or past it receives that event again and ends.',
      'When the key the stream was opened with is revoked, the stream ends within about a second with a `revoked` event',
      '(data `{error: "Unauthorized", message}`); a reconnect with that key is then a 401.',
      'An id that is not an event of this job is a 400.',
    ].join(' '),
    params: idParams,
    headers: jsonSchema(eventStreamHeadersSchema, 'input'),
    response: {
      200: {
        description: 'The event stream',
        headers: requestId,
        content: { 'text/event-stream': { schema: { type: 'string', description: 'text/event-stream frames' } } },
      },
      ...errors(...V1, 404),
    },
  },
);

export const listKeysSchema = operation(
  'keys',
  'listKeys',
  'Admin keys only: every API key with its scope, state and limits (never a secret)',
  { response: { ...ok(apiKeyListSchema, 'The keys, oldest first'), ...errors(...V1, 403) } },
);

export const revokeKeySchema = operation(
  'keys',
  'revokeKey',
  'Admin keys only: revoke a key (no body, or {}); its requests are refused and its event streams end',
  {
    description: [
      'Every API process sharing the store refuses the key within a second, and event streams opened with it end',
      '(a final `revoked` event). Revoking a revoked key answers it unchanged.',
      'Without `security.auth_token` the last active admin key cannot be revoked, nor (without',
      '`security.require_api_key` either) the last active key: 409 Conflict, so that revoking never opens the server.',
    ].join(' '),
    params: jsonSchema(keyIdParamsSchema, 'input'),
    response: { ...ok(apiKeyViewSchema, 'The key, revoked'), ...errors(...V1, 403, 404, 409, 413, 415) },
  },
);

export const livenessRouteSchema = operation('health', 'getHealth', 'Liveness', {
  response: { ...ok(livenessSchema, 'The process is up'), ...errors(...COMMON) },
});

export const readinessRouteSchema = operation(
  'health',
  'getReadiness',
  'Readiness of the job store, queue, artifact store and workers',
  {
    response: {
      200: json(jsonSchema(readinessSchema), 'Every component is healthy'),
      503: json(jsonSchema(readinessSchema), 'Some component is unhealthy (same body, status not_ready)'),
      ...errors(400, 431, 500),
    },
  },
);

const prometheusText = { 'text/plain': { schema: { type: 'string', description: 'Prometheus text format 0.0.4' } } };

export const metricsRouteSchema = operation(
  'health',
  'getMetrics',
  'Prometheus text; JSON summary with Accept: application/json',
  {
    response: {
      200: {
        description: 'Metrics',
        headers: requestId,
        content: { ...prometheusText, 'application/json': { schema: jsonSchema(metricsSummarySchema) } },
      },
      ...errors(...COMMON),
    },
  },
);

export const prometheusRouteSchema = operation('health', 'getPrometheusMetrics', 'Prometheus text', {
  response: { 200: { description: 'Metrics', headers: requestId, content: prometheusText }, ...errors(...COMMON) },
});

export const rootRouteSchema = operation(
  'meta',
  'getRoot',
  'Dashboard page, or the service description with Accept: application/json',
  {
    response: {
      200: {
        description: 'The dashboard, or the service description',
        headers: requestId,
        content: {
          'text/html': { schema: { type: 'string' } },
          'application/json': { schema: jsonSchema(serviceDescriptionSchema) },
        },
      },
      ...errors(...COMMON, 429),
    },
  },
);

export const openApiRouteSchema = operation('meta', 'getOpenApiDocument', 'This OpenAPI document', {
  response: {
    200: {
      description: 'OpenAPI 3.1 document',
      headers: requestId,
      content: { 'application/json': { schema: { type: 'object', additionalProperties: true } } },
    },
    ...errors(...COMMON),
  },
});

export const capabilitiesSchema = operation(
  'jobs',
  'getCapabilities',
  'Per-job options this key may send, and what each backend renders (durations, ratios, prices)',
  { response: { ...ok(capabilitiesResponseSchema, 'The options and backends'), ...errors(...V1) } },
);

export const listModelsSchema = operation(
  'models',
  'listModels',
  'OpenAI-compatible: the models this server can render with its credentials, with their capabilities and lifecycle',
  {
    description:
      'The offline backend, and every catalogued model of a vendor whose credentials are configured, except retired ones (docs/models.md). `configured` marks the model each backend is set to.',
    response: { ...ok(modelListSchema, 'The models'), ...openAiErrors(...V1) },
  },
);

// A multipart create sends the same fields as text, with `input_reference` as a file part (or an
// `input_reference[image_url]` field, as the SDKs write objects in forms).
const createVideoFields = jsonSchema(createVideoBodySchema, 'input') as {
  properties: Record<string, unknown>;
  additionalProperties?: boolean;
};
const { additionalProperties: _strict, ...createVideoFormFields } = createVideoFields;

export const createVideoSchema = operation(
  'videos',
  'createVideo',
  'OpenAI-compatible: create a video (JSON or multipart with an input_reference image)',
  {
    body: {
      content: {
        'application/json': { schema: createVideoFields },
        'multipart/form-data': {
          schema: {
            ...createVideoFormFields,
            properties: {
              ...createVideoFields.properties,
              input_reference: { type: 'string', format: 'binary', description: 'First-frame image (PNG, JPEG, WebP)' },
            },
          },
        },
      },
    },
    headers: submitHeaders,
    response: { ...ok(videoObjectSchema, 'The queued video'), ...openAiErrors(...V1, 402, 413, 415, 422) },
  },
);

export const listVideosSchema = operation(
  'videos',
  'listVideos',
  'OpenAI-compatible: list videos (cursor `after`, `limit`, `order`)',
  {
    querystring: jsonSchema(listVideosQuerySchema, 'input'),
    response: { ...ok(videoListSchema, 'A page of videos'), ...openAiErrors(...V1) },
  },
);

export const extendVideoSchema = operation(
  'videos',
  'extendVideo',
  'OpenAI-compatible: extend a completed video by `seconds` from its last frame; the answer is a new video (source + extension in one file) with extended_from_video_id',
  {
    response: { ...ok(videoObjectSchema, 'The queued extension'), ...openAiErrors(...V1, 402, 404, 413, 415) },
  },
);

export const remixVideoSchema = operation(
  'videos',
  'remixVideo',
  'OpenAI-compatible: remix a completed video — its settings, a new prompt, starting from its first frame; remixed_from_video_id is set',
  {
    params: videoIdParams,
    response: { ...ok(videoObjectSchema, 'The queued remix'), ...openAiErrors(...V1, 402, 404, 413, 415) },
  },
);

/** A Videos API call ttv answers with an explanatory 400 (edit, characters). */
export function unsupportedVideoCallSchema(operationId: string, summary: string): OperationSchema {
  return operation('videos', operationId, summary, { response: { ...openAiErrors(...V1, 400) } });
}

export const getVideoSchema = operation('videos', 'getVideo', 'OpenAI-compatible: retrieve a video', {
  params: videoIdParams,
  response: { ...ok(videoObjectSchema, 'The video'), ...openAiErrors(...V1, 404) },
});

export const deleteVideoSchema = operation(
  'videos',
  'deleteVideo',
  'OpenAI-compatible: delete a video (a running one is canceled first) and its file',
  { params: videoIdParams, response: { ...ok(videoDeletedSchema, 'Deleted'), ...openAiErrors(...V1, 404, 409) } },
);

export const videoContentSchema = operation(
  'videos',
  'getVideoContent',
  'OpenAI-compatible: the MP4 (Range supported; a redirect to a signed URL for cloud stores), or a JPEG thumbnail / sprite sheet',
  {
    params: videoIdParams,
    querystring: jsonSchema(videoContentQuerySchema, 'input'),
    response: {
      200: {
        description: 'The video or image',
        headers: requestId,
        content: { 'video/mp4': binary, 'image/jpeg': binary },
      },
      206: { description: 'A byte range of the video', headers: requestId, content: { 'video/mp4': binary } },
      302: redirect('Cloud stores: a redirect to a signed URL'),
      ...openAiErrors(...V1, 404, 416),
    },
  },
);
