// /v1/jobs: submit, list, read, delete, cancel, logs.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { JobQueue } from '../../jobs/job-queue.js';
import { isTerminal, toJobView } from '../../jobs/job.js';
import type { ArtifactStore } from '../../storage/types.js';
import { ownerFilter } from '../../access/principal.js';
import { ownedJob, principalOf } from './owned-job.js';
import { idempotencyKeyOf, jobIdParam } from './route-params.js';
import { ApiError } from '../../errors/api-error.js';
import { JobNotFoundError } from '../../errors/job-not-found-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import {
  cancelBodySchema,
  createJobBodySchema,
  createJobWithOptionsBodySchema,
  listJobsQuerySchema,
  logsQuerySchema,
  parseRequestPart,
} from '../schemas.js';
import type { AppConfig, JobOptionName } from '../../config/schema.js';
import { cancelRecordedTasks } from '../../worker/recorded-task-cancel.js';
import type { JobRecord, JobRequest } from '../../jobs/job.js';
import { allowedFor, submitJob, type SubmissionDeps } from '../job-submission.js';
import { refuseDisallowed, storedOptions, type RawJobOptions } from '../../job-options/option-parsing.js';
import { formFile, formText } from '../multipart-body.js';
import { jsonBounds, parseBoundedJson } from '../bounded-json.js';
import {
  cancelJobSchema,
  createJobSchema,
  deleteJobSchema,
  getJobSchema,
  jobLogsSchema,
  listJobsSchema,
} from '../route-schemas.js';
import { redactedClip } from '../../logging/redact.js';

/** The Content-Type Fastify gives a JSON answer it serializes itself. */
const JSON_TYPE = 'application/json; charset=utf-8';

export interface JobRoutesOptions extends SubmissionDeps {
  queue: JobQueue;
  /** Body limit of POST /v1/jobs when some key may send an image (multipart or data URI); else the server's. */
  imageBodyLimit?: number;
  /** Where DELETE removes a job's artifact. */
  store?: ArtifactStore;
}

/**
 * The job request from a JSON body ({prompt, options}) or a multipart one (fields `prompt`,
 * `options` as JSON text, file `image`). With no option allowed, only {prompt} is accepted.
 */
async function readJobRequest(
  body: unknown,
  multipart: boolean,
  allowed: ReadonlySet<JobOptionName>,
  config: AppConfig,
): Promise<JobRequest> {
  let image: Buffer | undefined;
  if (multipart) {
    const form = body as FormData;
    let parsedOptions: unknown;
    const optionsText = formText(form, 'options');
    if (optionsText !== undefined)
      parsedOptions = parseBoundedJson(optionsText, jsonBounds(config.server), 'options', {
        invalid: 'must be a JSON object',
      });
    const keys = new Set<string>();
    form.forEach((_value, key) => keys.add(key));
    for (const key of keys) {
      if (!['prompt', 'options', 'image'].includes(key))
        throw new ValidationError([
          { field: key, message: 'unknown field; only "prompt", "options" and "image" are accepted' },
        ]);
    }
    image = await formFile(form, 'image');
    body = { prompt: formText(form, 'prompt'), ...(parsedOptions !== undefined ? { options: parsedOptions } : {}) };
  }
  if (allowed.size === 0) return { prompt: parseRequestPart(createJobBodySchema, body, 'body').prompt };
  const parsed = parseRequestPart(createJobWithOptionsBodySchema, body, 'body');
  const raw: RawJobOptions = { ...(parsed.options ?? {}), ...(image ? { image } : {}) };
  const names = Object.keys(raw).filter((k) => raw[k as keyof RawJobOptions] !== undefined);
  refuseDisallowed(names, allowed);
  if (names.length === 0) return { prompt: parsed.prompt };
  return { prompt: parsed.prompt, options: await storedOptions(raw, config) };
}

function requireJsonContentType(request: FastifyRequest): void {
  const raw = request.headers['content-type'];
  const type = typeof raw === 'string' ? raw.split(';', 1)[0]!.trim().toLowerCase() : '';
  if (type !== 'application/json') {
    throw new ApiError('UnsupportedMediaType', 'Content-Type must be application/json', {
      ...(type ? { provided_type: redactedClip(type, 100) } : {}),
      supported_types: ['application/json'],
    });
  }
}

export async function jobRoutes(app: FastifyInstance, options: JobRoutesOptions): Promise<void> {
  const { queue } = options;

  app.post(
    '/v1/jobs',
    {
      config: { rateClass: 'submit', multipart: options.imageBodyLimit !== undefined, imageBody: true },
      schema: createJobSchema,
      ...(options.imageBodyLimit ? { bodyLimit: options.imageBodyLimit } : {}),
    },
    async (request, reply) => {
      const allowed = allowedFor(options.config, request);
      const form = request.body instanceof FormData ? request.body : null;
      if (!form || !allowed.has('image')) requireJsonContentType(request);
      const idempotencyKey = idempotencyKeyOf(request);
      const jobRequest = await readJobRequest(form ?? request.body, form !== null, allowed, options.config);
      const { result, webhookSecret } = await submitJob(options, request, jobRequest, idempotencyKey);
      if (result.outcome === 'replayed') reply.header('idempotent-replayed', 'true');
      reply.header('location', `/v1/jobs/${result.job.id}`);
      const view = toJobView(result.job);
      return reply.code(202).send(webhookSecret ? { ...view, webhook_secret: webhookSecret } : view);
    },
  );

  app.get('/v1/jobs', { schema: listJobsSchema }, async (request) => {
    const query = parseRequestPart(listJobsQuerySchema, request.query, 'query');
    const owner = ownerFilter(principalOf(request)) ?? undefined;
    const page = await queue.list({ status: query.status, limit: query.limit ?? 20, cursor: query.cursor, owner });
    return { jobs: page.jobs.map(toJobView), next_cursor: page.nextCursor };
  });

  // A terminal record never changes (terminal-record-cache.ts: the store hands out the same object
  // while it is cached), so its answer is serialized once per record object and sent as it is: no
  // view, no schema serialization per poll of a finished job. Same bytes, same Content-Type.
  const terminalBodies = new WeakMap<JobRecord, string>();
  app.get('/v1/jobs/:id', { schema: getJobSchema }, async (request, reply) => {
    const job = await ownedJob(queue, request, jobIdParam(request));
    if (!isTerminal(job.status)) return toJobView(job);
    let body = terminalBodies.get(job);
    if (body === undefined) terminalBodies.set(job, (body = reply.serialize(toJobView(job)) as string));
    return reply.type(JSON_TYPE).send(body);
  });

  app.delete('/v1/jobs/:id', { schema: deleteJobSchema }, async (request, reply) => {
    const id = jobIdParam(request);
    const job = await ownedJob(queue, request, id);
    if (!isTerminal(job.status)) {
      throw new ApiError('Conflict', `Job ${id} is not in a terminal status (status: ${job.status}); cancel it first`, {
        job_id: id,
        current_status: job.status,
      });
    }
    // The artifact goes first: if the store fails, the job stays and the client may retry.
    if (job.artifact_key && options.store) {
      try {
        await options.store.delete(job.artifact_key);
      } catch (err) {
        request.log.error({ err }, 'deleting the artifact failed');
        throw new ApiError('StorageError', 'Artifact storage failed; the job was not deleted');
      }
    }
    const result = await queue.remove(id);
    if (result.outcome === 'not_found') throw new JobNotFoundError(id);
    if (result.outcome === 'not_terminal') {
      throw new ApiError('Conflict', `Job ${id} is not in a terminal status (status: ${result.job.status})`, {
        job_id: id,
        current_status: result.job.status,
      });
    }
    return reply.code(204).send();
  });

  app.post('/v1/jobs/:id/cancel', { schema: cancelJobSchema }, async (request) => {
    parseRequestPart(cancelBodySchema, request.body, 'body');
    const id = jobIdParam(request);
    await ownedJob(queue, request, id);
    const result = await queue.cancel(id);
    if (result.outcome === 'not_found') throw new JobNotFoundError(id);
    if (result.outcome === 'terminal') {
      throw new ApiError('Conflict', `Job ${id} is already in terminal status: ${result.job.status}`, {
        job_id: id,
        current_status: result.job.status,
      });
    }
    // The store's cancel wrote the transition (its journal entry is what job.canceled webhooks and
    // the event stream report); vendor tasks the job recorded are cancelled from here, since its
    // worker may have crashed.
    void cancelRecordedTasks(result.job, options.config, queue, (m) => queue.appendLog(id, m)).catch((err: unknown) =>
      request.log.warn({ err, jobId: id }, 'cancelling the recorded vendor tasks failed'),
    );
    const view = toJobView(result.job);
    return { ...view, message: 'Job cancellation initiated successfully' };
  });

  app.get('/v1/jobs/:id/logs', { schema: jobLogsSchema }, async (request) => {
    const query = parseRequestPart(logsQuerySchema, request.query, 'query');
    const id = jobIdParam(request);
    await ownedJob(queue, request, id);
    const lines = await queue.logs(id, query.tail ?? 100);
    if (lines === null) throw new JobNotFoundError(id);
    return { lines };
  });
}
