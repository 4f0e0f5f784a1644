// GET /v1/jobs/:id/artifact (a freshly signed URL) and, for the local store, the signed download
// route /files/* that those URLs point at (Range support comes from @fastify/static's send).
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { ArtifactStore } from '../../storage/types.js';
import { LocalArtifactStore } from '../../storage/local/local-artifact-store.js';
import { StorageError } from '../../errors/storage-error.js';
import { ApiError } from '../../errors/api-error.js';
import { jobIdParam } from './route-params.js';
import { ownedJob } from './owned-job.js';
import { artifactQuerySchema, parseRequestPart } from '../schemas.js';
import { downloadOrigin } from '../download-origin.js';
import { jobArtifactSchema } from '../route-schemas.js';

export interface ArtifactRoutesOptions {
  queue: JobQueue;
  store: ArtifactStore;
  defaultExpiresIn: number;
  publicUrl: string | null;
  /** 'v1': the bearer-protected artifact route; 'files': the signed download route. */
  section: 'v1' | 'files';
}

export async function artifactRoutes(app: FastifyInstance, options: ArtifactRoutesOptions): Promise<void> {
  const { queue, store } = options;

  if (options.section === 'v1')
    app.get('/v1/jobs/:id/artifact', { schema: jobArtifactSchema }, async (request, reply) => {
      const query = parseRequestPart(artifactQuerySchema, request.query, 'query');
      const job = await ownedJob(queue, request, jobIdParam(request));
      if (job.status !== 'finished') {
        throw new ApiError(
          'ArtifactNotReady',
          `Artifact for job ${job.id} not ready (status: ${job.status})`,
          { job_id: job.id, current_status: job.status },
          { retryable: job.status !== 'failed' && job.status !== 'canceled' },
        );
      }
      if (!job.artifact_key || !job.artifact_uri) {
        throw new ApiError('ArtifactNotReady', `Job ${job.id} finished but no artifact available`, {
          job_id: job.id,
          current_status: job.status,
        });
      }
      const expiresIn = query.expires_in ?? options.defaultExpiresIn;
      let signed;
      try {
        signed = await store.sign(job.artifact_key, {
          expiresInSeconds: expiresIn,
          requestOrigin: downloadOrigin(request, options.publicUrl),
        });
      } catch (err) {
        request.log.error({ err }, 'signing the artifact URL failed');
        throw new ApiError(
          'StorageError',
          err instanceof StorageError ? 'Failed to generate download URL' : 'Artifact storage is unavailable',
        );
      }
      if (query.redirect === 'true') return reply.redirect(signed.url, 302);
      return { gcs_uri: job.gcs_uri, artifact_uri: job.artifact_uri, url: signed.url, expires_in: signed.expiresIn };
    });

  if (store instanceof LocalArtifactStore && options.section === 'files') {
    await app.register(fastifyStatic, {
      root: store.rootDir,
      serve: false,
      acceptRanges: true,
      etag: true,
      lastModified: true,
    });
    app.get('/files/*', { schema: { hide: true } }, async (request, reply) => {
      const [path, search = ''] = request.url.split('?', 2) as [string, string?];
      const verdict = store.verify(decodeURIComponent(path), new URLSearchParams(search), new Date());
      if (verdict !== 'ok') {
        throw new ApiError(
          'Forbidden',
          verdict === 'expired' ? 'Download link has expired' : 'Download link is invalid',
        );
      }
      const key = decodeURIComponent(path.slice('/files/'.length));
      // Refuses keys that could leave the artifact root, symlinks and anything but a regular file.
      const servable = await store.servableFile(key);
      if (servable === 'missing') throw new ApiError('NotFound', 'Artifact file not found');
      if (servable === 'refused') throw new ApiError('Forbidden', 'Download link is invalid');
      reply.header('cache-control', 'private, max-age=60');
      return reply.sendFile(key, store.rootDir);
    });
  }
}
