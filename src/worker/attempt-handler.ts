// One attempt of one job: scratch dir, effective config, pipeline, upload, cleanup on every outcome.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { applyJobOverrides } from '../job-options/config-overrides.js';
import { segmentPlanOf } from '../jobs/stored-job-options.js';
import type { JobContext, JobHandler, JobOutcome } from '../jobs/job-queue.js';
import type { Pipeline } from '../pipeline/types.js';
import { MILESTONES } from '../pipeline/progress.js';
import type { ArtifactStore } from '../storage/types.js';
import { CanceledError, throwIfAborted } from '../errors/canceled-error.js';
import { toClientError } from '../errors/client-error.js';
import { errorWithCode, TtvError } from '../errors/ttv-error.js';
import { DiskFullError, isOutOfSpace } from '../errors/disk-full-error.js';
import { sourceVideoFile } from './source-video-file.js';
import type { SegmentRecordStore } from '../jobs/segment-records.js';

export interface AttemptHandlerOptions {
  config: AppConfig;
  pipeline: Pipeline;
  store: ArtifactStore;
  /** Parent of the per-attempt scratch dirs. */
  tmpRoot: string;
  /** Known secret values, scrubbed from every error a client can read. */
  secrets: string[];
  onError?: (jobId: string, err: unknown) => void;
  /** Where segment records are kept across attempts (the job store), and the parent of the kept clips' dirs. */
  segments?: { store: SegmentRecordStore; root: string };
  /** The dir whose disk the attempt writes to (the data dir), named when it runs out of space. */
  dataDir?: string;
}

/** Where a job's finished segments are kept until it ends: `<root>/<job_id>`. */
export function segmentsDir(root: string, jobId: string): string {
  return join(root, jobId);
}

const STORE_LABEL: Record<ArtifactStore['kind'], string> = {
  local: 'local storage',
  gcs: 'Google Cloud Storage',
  s3: 'S3',
};

/** Scratch dir of one attempt; the name lets a sweeper tell which job and attempt left it. */
export function workDirName(jobId: string, attempt: number): string {
  return `job_${jobId}_a${attempt}`;
}

export function createAttemptHandler(options: AttemptHandlerOptions): JobHandler {
  const { config, pipeline, store } = options;

  return async (ctx: JobContext): Promise<JobOutcome> => {
    const { job, signal } = ctx;
    const workDir = join(options.tmpRoot, workDirName(job.id, ctx.attempt));
    try {
      await rm(workDir, { recursive: true, force: true });
      await mkdir(workDir, { recursive: true, mode: 0o700 });
      await ctx.log(`Video generation started (attempt ${ctx.attempt}, worker ${ctx.workerId})`);
      // The job's own first frame travels in its request; the pipeline reads it from a file.
      const image = job.request.options?.image;
      let imagePath: string | undefined;
      if (image) {
        // Only an ended job loses its image bytes, and an ended job is never run.
        if (image.data_base64 === undefined)
          throw new TtvError("The job's first-frame image is no longer stored", { code: 'ImageGone' });
        imagePath = join(workDir, `first_frame.${image.content_type.slice('image/'.length)}`);
        await writeFile(imagePath, Buffer.from(image.data_base64, 'base64'), { mode: 0o600 });
      }
      const effective = applyJobOverrides(config, job.request, { imagePath });
      const source = job.request.source;
      const sourceVideo = source
        ? { path: await sourceVideoFile(store, source, workDir, signal), use: source.use }
        : undefined;
      const segmentCount =
        segmentPlanOf(job.request.options, config.segment_duration_seconds).segmentCount ?? undefined;
      const result = await pipeline.run({
        segmentCount,
        ...(sourceVideo ? { sourceVideo } : {}),
        prompt: job.request.prompt,
        config: effective,
        workDir,
        signal,
        ...(options.segments
          ? {
              segments: {
                records: () => options.segments!.store.segmentRecords(job.id),
                // Lease-checked: an attempt that lost the job cannot overwrite the new holder's records.
                record: (r) => ctx.recordSegment(r),
                dir: segmentsDir(options.segments.root, job.id),
                ...(store.keep && store.read
                  ? {
                      store: {
                        keep: async (path: string, name: string, s: AbortSignal) =>
                          (await store.keep!(path, job.id, name, { signal: s })).key,
                        read: (key: string, path: string, s: AbortSignal) => store.read!(key, path, { signal: s }),
                      },
                    }
                  : {}),
              },
            }
          : {}),
        reporter: { progress: ctx.progress, log: ctx.log, estimate: ctx.setEstimatedCost },
      });
      await ctx.setEstimatedCost(result.estimatedCostUsd);
      throwIfAborted(signal);
      await ctx.progress(
        MILESTONES.uploading.progress,
        'uploading',
        `Uploading final video to ${STORE_LABEL[store.kind]}`,
      );
      const stored = await store.put(result.finalVideoPath, job.id, { signal });
      // Stored: the outcome exists now and is returned whatever the signal says. The consumer loop
      // settles it: recorded (also on shutdown: the work is done), handed to onCanceledOutcome on a
      // cancel (the worker deletes the artifact), or dropped on a lost lease.
      await ctx.progress(MILESTONES.uploaded.progress, 'uploading', `Upload completed: ${stored.gcsUri ?? stored.uri}`);
      return { artifactUri: stored.uri, artifactKey: stored.key, gcsUri: stored.gcsUri };
    } catch (err) {
      if (signal.aborted || err instanceof CanceledError) {
        if (signal.reason === 'canceled') await ctx.log('Job cancelled during processing');
        throw err instanceof CanceledError ? err : new CanceledError();
      }
      // Out of space anywhere in the attempt (a file write, ffmpeg, the upload to local storage): one
      // error that names the disk, which the worker hands back to the queue (worker.ts).
      // The job store out of reach anywhere in the attempt (a stage's read or write): said as such, so
      // that the worker hands the job back rather than failing it.
      const storeDown = errorWithCode(err, 'ServiceUnavailable');
      const failure =
        storeDown ??
        (isOutOfSpace(err) && !(err instanceof DiskFullError)
          ? new DiskFullError(options.dataDir ?? options.tmpRoot, { cause: err })
          : err);
      options.onError?.(job.id, failure);
      const client = toClientError(failure, {
        workDir,
        secrets: options.secrets,
        fallback: 'Internal error while running the job',
      });
      throw new TtvError(client.message, { code: client.code, retryable: client.retryable, cause: failure });
    }
    // The scratch dir (with the final video) stays until the outcome is recorded: the worker removes
    // it when the attempt has settled (Worker.sweepJob), so a failed upload loses nothing early.
  };
}
