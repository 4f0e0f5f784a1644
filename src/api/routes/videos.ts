// The OpenAI-compatible Videos API over the same jobs as /v1/jobs: create, retrieve, list, delete,
// content (the MP4 with Range, a JPEG thumbnail, a sprite sheet), extend and remix, in OpenAI's object
// and error shapes. Registered with the /v1/videos prefix inside the bearer-protected v1 context, so
// auth, rate limits, queue caps, budgets and ownership are those of /v1/jobs, and every answer under
// the prefix — an unknown path's 404 and a wrong method's 405 too — is in OpenAI's error envelope.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { cancelRecordedTasks } from '../../worker/recorded-task-cancel.js';
import type { AppConfig } from '../../config/schema.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import { isTerminal, type JobRecord } from '../../jobs/job.js';
import type { ArtifactStore } from '../../storage/types.js';
import { LocalArtifactStore } from '../../storage/local/local-artifact-store.js';
import { Ffmpeg } from '../../media/ffmpeg.js';
import { ownerFilter } from '../../access/principal.js';
import { ApiError } from '../../errors/api-error.js';
import { JobNotFoundError } from '../../errors/job-not-found-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { allowedFor, submitJob, type SubmissionDeps } from '../job-submission.js';
import { refuseDisallowed } from '../../job-options/option-parsing.js';
import { probeUploadedVideo } from '../openai/uploaded-video.js';
import { readVideoBody, videoJobRequest } from '../openai/video-request.js';
import { toVideoObject, type RenderedFacts } from '../openai/video-object.js';
import {
  extendJobRequest,
  readExtendBody,
  readRemixBody,
  remixJobRequest,
  uploadExtendJobRequest,
} from '../openai/derived-video-request.js';
import type { JobRequest } from '../../jobs/job.js';
import type { FastifyRequest, FastifyReply } from 'fastify';
import { useOpenAiErrors } from '../openai/openai-errors.js';
import { downloadOrigin } from '../download-origin.js';
import { ownedJob, principalOf } from './owned-job.js';
import { idempotencyKeyOf, jobIdParam } from './route-params.js';
import { listVideosQuerySchema, parseRequestPart, videoContentQuerySchema } from '../schemas.js';
import {
  createVideoSchema,
  deleteVideoSchema,
  extendVideoSchema,
  getVideoSchema,
  listVideosSchema,
  remixVideoSchema,
  unsupportedVideoCallSchema,
  videoContentSchema,
} from '../route-schemas.js';

export interface VideoRoutesOptions extends SubmissionDeps {
  config: AppConfig;
  queue: JobQueue;
  store: ArtifactStore;
  bodyLimit: number;
  imageBodyLimit?: number;
  publicUrl: string | null;
}

/** Most jobs a list request looks through to find `after` (the queue's cursors are opaque). */
const LIST_SCAN_LIMIT = 10_000;
/** Finished videos whose probed size and length are remembered (a file does not change once stored). */
const RENDERED_CACHE_SIZE = 2_000;

/** Register with `{ prefix: '/v1/videos' }`: the not-found handler then answers only that prefix. */
export async function videoRoutes(app: FastifyInstance, options: VideoRoutesOptions): Promise<void> {
  const { config, queue, store } = options;
  useOpenAiErrors(app, options.imageBodyLimit ?? options.bodyLimit);
  app.setNotFoundHandler(async (request) => {
    const path = (request.url.split('?', 1)[0] ?? '').slice(0, 200);
    throw new ApiError(
      'NotFound',
      `No route for ${request.method} ${path} (the Videos API of this server: docs/migrating-from-sora.md)`,
    );
  });
  const ffmpeg = Ffmpeg.fromConfig(config);
  if (store instanceof LocalArtifactStore) {
    await app.register(fastifyStatic, {
      root: store.rootDir,
      serve: false,
      acceptRanges: true,
      etag: true,
      lastModified: true,
    });
  }
  // Retention deletes finished files only where ttv owns them (the local store); a bucket ages its own.
  const artifactDays = store.kind === 'local' ? config.retention.artifacts_days : 0;
  const renderedCache = new Map<string, RenderedFacts>();

  /** The finished file's size and length (ffprobe, once per video); null before or when unreadable. */
  async function rendered(job: JobRecord, request: FastifyRequest): Promise<RenderedFacts | null> {
    if (job.status !== 'finished' || !job.artifact_key) return null;
    const known = renderedCache.get(job.id);
    if (known) return known;
    try {
      const source = await readableSource(job.artifact_key, request);
      if (!source) return null;
      const probe = await ffmpeg.probe(source, { signal: AbortSignal.timeout(30_000) });
      if (!probe.video) return null;
      const facts = {
        width: probe.video.width,
        height: probe.video.height,
        seconds: probe.durationSeconds || probe.video.durationSeconds,
      };
      if (renderedCache.size >= RENDERED_CACHE_SIZE) renderedCache.delete(renderedCache.keys().next().value!);
      renderedCache.set(job.id, facts);
      return facts;
    } catch (err) {
      request.log.warn({ err, job_id: job.id }, 'probing the finished video failed; its object shows the plan');
      return null;
    }
  }

  async function readableSource(key: string, request: FastifyRequest): Promise<string | null> {
    if (store instanceof LocalArtifactStore) {
      const servable = await store.servableFile(key);
      return servable === 'missing' || servable === 'refused' ? null : servable.file;
    }
    return (await store.sign(key, { expiresInSeconds: 600, requestOrigin: downloadOrigin(request, options.publicUrl) }))
      .url;
  }

  const videoObject = async (job: JobRecord, request: FastifyRequest) =>
    toVideoObject(job, config, await rendered(job, request), artifactDays);

  function requireBodyType(request: FastifyRequest): void {
    const type = String(request.headers['content-type'] ?? '')
      .split(';', 1)[0]!
      .trim()
      .toLowerCase();
    if (type !== 'application/json' && type !== 'multipart/form-data') {
      throw new ApiError('UnsupportedMediaType', 'Content-Type must be application/json or multipart/form-data', {
        supported_types: ['application/json', 'multipart/form-data'],
      });
    }
  }

  async function submitVideo(
    request: FastifyRequest,
    reply: FastifyReply,
    jobRequest: JobRequest,
    idempotencyKey: string | undefined,
  ) {
    const { result } = await submitJob(options, request, jobRequest, idempotencyKey);
    if (result.outcome === 'replayed') reply.header('idempotent-replayed', 'true');
    reply.header('location', `/v1/videos/${result.job.id}`);
    return toVideoObject(result.job, config, null, artifactDays);
  }

  app.post(
    '',
    {
      config: { rateClass: 'submit', multipart: true, imageBody: true },
      schema: createVideoSchema,
      ...(options.imageBodyLimit ? { bodyLimit: options.imageBodyLimit } : {}),
    },
    async (request, reply) => {
      requireBodyType(request);
      const idempotencyKey = idempotencyKeyOf(request);
      const jobRequest = await videoJobRequest(await readVideoBody(request.body), allowedFor(config, request), config);
      return submitVideo(request, reply, jobRequest, idempotencyKey);
    },
  );

  // The SDK's `extend`: the new object names its source in extended_from_video_id (null for an
  // upload). An uploaded video is a file like a first-frame image: the large body limit and the
  // `image` option's permission hold for it (uploaded-video.ts).
  app.post(
    '/extensions',
    {
      config: { rateClass: 'submit', multipart: true, imageBody: true },
      schema: extendVideoSchema,
      ...(options.imageBodyLimit ? { bodyLimit: options.imageBodyLimit } : {}),
    },
    async (request, reply) => {
      requireBodyType(request);
      const idempotencyKey = idempotencyKeyOf(request);
      const body = await readExtendBody(request.body);
      const allowed = allowedFor(config, request);
      if (body.upload) {
        refuseDisallowed(['image'], allowed, () => 'video');
        const upload = await probeUploadedVideo(body.upload, config);
        return submitVideo(request, reply, uploadExtendJobRequest(upload, body, allowed, config), idempotencyKey);
      }
      const { id } = body.video;
      // A missing source is the parameter's fault (400 param video), not an unknown route's 404.
      const source = await ownedJob(queue, request, id.toLowerCase()).catch((err: unknown) => {
        if (err instanceof ApiError && err.statusCode === 404)
          throw new ValidationError([{ field: 'video', message: `no video ${id} on this server` }]);
        throw err;
      });
      const facts = await rendered(source, request);
      const jobRequest = extendJobRequest(
        source,
        body,
        { size: facts ? `${facts.width}x${facts.height}` : null, seconds: facts?.seconds ?? null },
        allowed,
        config,
      );
      return submitVideo(request, reply, jobRequest, idempotencyKey);
    },
  );

  app.post(
    '/:id/remix',
    { config: { rateClass: 'submit', multipart: true }, schema: remixVideoSchema },
    async (request, reply) => {
      requireBodyType(request);
      const idempotencyKey = idempotencyKeyOf(request);
      const { prompt } = await readRemixBody(request.body);
      const source = await ownedJob(queue, request, jobIdParam(request));
      return submitVideo(request, reply, remixJobRequest(source, prompt), idempotencyKey);
    },
  );

  // Calls ttv cannot serve answer 400 in OpenAI's envelope, so the SDK raises BadRequestError with why.
  app.post(
    '/edits',
    {
      config: { rateClass: 'submit', multipart: true },
      schema: unsupportedVideoCallSchema(
        'editVideo',
        'OpenAI-compatible: edit a video (no catalogued model renders video-to-video: 400)',
      ),
    },
    async () => {
      throw new ValidationError([
        {
          field: 'video',
          message:
            'no model of this server renders video-to-video, so edits are not served; use remix (same settings, new prompt, from the first frame) or extend',
        },
      ]);
    },
  );
  const noCharacters = () =>
    new ValidationError([
      {
        field: 'character',
        message:
          'ttv keeps no characters: describe the character in the prompt, or start from an image with input_reference',
      },
    ]);
  app.post(
    '/characters',
    {
      config: { rateClass: 'submit', multipart: true },
      schema: unsupportedVideoCallSchema(
        'createCharacter',
        'OpenAI-compatible: create a character (ttv keeps none: 400)',
      ),
    },
    async () => {
      throw noCharacters();
    },
  );
  app.get(
    '/characters/:character_id',
    {
      schema: unsupportedVideoCallSchema(
        'getCharacter',
        'OpenAI-compatible: retrieve a character (ttv keeps none: 400)',
      ),
    },
    async () => {
      throw noCharacters();
    },
  );

  app.get('', { schema: listVideosSchema }, async (request) => {
    const query = parseRequestPart(listVideosQuerySchema, request.query, 'query', { firstOnly: true });
    const { limit = 20, order = 'desc', after } = query;
    const owner = ownerFilter(principalOf(request)) ?? undefined;
    // Newest first from the queue; ascending order needs the whole (bounded) list.
    const jobs: JobRecord[] = [];
    let cursor: string | undefined;
    let afterIndex = -1;
    do {
      const page = await queue.list({ limit: 100, cursor, owner });
      jobs.push(...page.jobs);
      cursor = page.nextCursor ?? undefined;
      if (order === 'desc' && after !== undefined && afterIndex < 0)
        afterIndex = jobs.findIndex((j) => j.id === after.toLowerCase());
      if (order === 'desc' && (after === undefined || afterIndex >= 0) && jobs.length - (afterIndex + 1) > limit) break;
    } while (cursor && jobs.length < LIST_SCAN_LIMIT);
    if (order === 'asc') jobs.reverse();
    const start = after === undefined ? 0 : jobs.findIndex((j) => j.id === after.toLowerCase()) + 1;
    if (after !== undefined && start === 0)
      throw new ValidationError([{ field: 'after', message: 'is not a video of this list' }]);
    const data = await Promise.all(jobs.slice(start, start + limit).map((j) => videoObject(j, request)));
    return {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data[data.length - 1]?.id ?? null,
      has_more: start + limit < jobs.length || Boolean(cursor && order === 'desc' && jobs.length >= start + limit),
    };
  });

  app.get('/:id', { schema: getVideoSchema }, async (request) =>
    videoObject(await ownedJob(queue, request, jobIdParam(request)), request),
  );

  app.delete('/:id', { schema: deleteVideoSchema }, async (request) => {
    const id = jobIdParam(request);
    let job = await ownedJob(queue, request, id);
    // OpenAI deletes a video in any state: a running one is canceled first (authoritative in the store).
    if (!isTerminal(job.status)) {
      const canceled = await queue.cancel(id);
      if (canceled.outcome === 'not_found') throw new JobNotFoundError(id);
      if (canceled.outcome === 'canceled') {
        // Before the job (and its segment records) is removed: its worker may have crashed.
        await cancelRecordedTasks(canceled.job, config, queue, (m) => queue.appendLog(id, m)).catch((err: unknown) =>
          request.log.warn({ err, jobId: id }, 'cancelling the recorded vendor tasks failed'),
        );
      }
      job = canceled.job;
    }
    if (job.artifact_key) {
      try {
        await store.delete(job.artifact_key);
      } catch (err) {
        request.log.error({ err }, 'deleting the artifact failed');
        throw new ApiError('StorageError', 'Artifact storage failed; the video was not deleted');
      }
    }
    renderedCache.delete(id);
    const removed = await queue.remove(id);
    if (removed.outcome === 'not_found') throw new JobNotFoundError(id);
    if (removed.outcome === 'not_terminal')
      throw new ApiError('Conflict', `Video ${id} is still ${removed.job.status}; try again`, {
        job_id: id,
        current_status: removed.job.status,
      });
    return { id, object: 'video.deleted', deleted: true };
  });

  app.get('/:id/content', { schema: videoContentSchema }, async (request, reply) => {
    const { variant = 'video' } = parseRequestPart(videoContentQuerySchema, request.query, 'query');
    const job = await ownedJob(queue, request, jobIdParam(request));
    if (job.status !== 'finished' || !job.artifact_key) {
      throw new ApiError(
        'ArtifactNotReady',
        `Video ${job.id} is not completed (status: ${job.status})`,
        { job_id: job.id, current_status: job.status },
        { retryable: job.status !== 'failed' && job.status !== 'canceled' },
      );
    }
    const key = job.artifact_key;
    let source: string;
    if (store instanceof LocalArtifactStore) {
      const servable = await store.servableFile(key);
      if (servable === 'missing' || servable === 'refused') throw new ApiError('NotFound', 'Video file not found');
      if (variant === 'video') {
        reply.header('content-disposition', `attachment; filename="${job.id}.mp4"`);
        return reply.type('video/mp4').sendFile(key, store.rootDir);
      }
      source = servable.file;
    } else {
      let signed;
      try {
        signed = await store.sign(key, {
          expiresInSeconds: 600,
          requestOrigin: downloadOrigin(request, options.publicUrl),
        });
      } catch (err) {
        request.log.error({ err }, 'signing the artifact URL failed');
        throw new ApiError('StorageError', 'Artifact storage is unavailable');
      }
      // The bucket serves the bytes (and Range) itself.
      if (variant === 'video') return reply.redirect(signed.url, 302);
      source = signed.url;
    }
    return reply.type('image/jpeg').send(await still(ffmpeg, source, variant));
  });
}

/** A JPEG made by ffmpeg from the video: its frame at 1 s (or the first), or a 4x4 sheet of frames. */
async function still(ffmpeg: Ffmpeg, source: string, variant: 'thumbnail' | 'spritesheet'): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'ttv-still-'));
  const out = join(dir, 'still.jpg');
  try {
    const filter = variant === 'thumbnail' ? 'thumbnail=n=24' : 'fps=2,scale=160:-2,tile=4x4';
    await ffmpeg.run(['-i', source, '-vf', filter, '-frames:v', '1', '-q:v', '3', '-f', 'image2', out], {
      signal: AbortSignal.timeout(60_000),
    });
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
