// The stored video a job continues or remixes, as a local file the pipeline can read: the local
// store's own file, a bucket's object downloaded through a short-lived signed URL, or the uploaded
// video the job's request carries (written out again on every attempt, like a first-frame image).
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { PipelineError } from '../errors/pipeline-error.js';
import { LocalArtifactStore } from '../storage/local/local-artifact-store.js';
import type { ArtifactStore } from '../storage/types.js';
import type { JobRequest } from '../jobs/job.js';

const GONE = 'The source video is no longer stored (deleted or expired)';

export async function sourceVideoFile(
  store: ArtifactStore,
  source: NonNullable<JobRequest['source']>,
  workDir: string,
  signal: AbortSignal,
): Promise<string> {
  if (source.upload) {
    // Only an ended job loses the upload's bytes, and an ended job is never run.
    if (source.upload.data_base64 === undefined)
      throw new PipelineError('The uploaded source video is no longer stored');
    const path = join(workDir, 'source_upload.mp4');
    await writeFile(path, Buffer.from(source.upload.data_base64, 'base64'), { mode: 0o600 });
    return path;
  }
  const key = source.artifact_key;
  if (!key) throw new PipelineError(GONE);
  if (store instanceof LocalArtifactStore) {
    const servable = await store.servableFile(key);
    if (servable === 'missing' || servable === 'refused') throw new PipelineError(GONE);
    return servable.file;
  }
  const signed = await store.sign(key, { expiresInSeconds: 600 });
  const response = await fetch(signed.url, { signal });
  if (!response.ok || !response.body)
    throw new PipelineError(
      response.status === 404 ? GONE : `The source video could not be read (HTTP ${response.status})`,
    );
  const path = join(workDir, 'source_video.mp4');
  await pipeline(
    Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
    createWriteStream(path, { mode: 0o600 }),
    { signal },
  );
  return path;
}
