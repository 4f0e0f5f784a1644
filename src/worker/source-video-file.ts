// The stored video a job continues or remixes, as a local file the pipeline can read: the local
// store's own file, or a bucket's object downloaded through a short-lived signed URL.
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { PipelineError } from '../errors/pipeline-error.js';
import { LocalArtifactStore } from '../storage/local/local-artifact-store.js';
import type { ArtifactStore } from '../storage/types.js';

const GONE = 'The source video is no longer stored (deleted or expired)';

export async function sourceVideoFile(store: ArtifactStore, key: string, workDir: string, signal: AbortSignal): Promise<string> {
  if (store instanceof LocalArtifactStore) {
    const servable = await store.servableFile(key);
    if (servable === 'missing' || servable === 'refused') throw new PipelineError(GONE);
    return servable.file;
  }
  const signed = await store.sign(key, { expiresInSeconds: 600 });
  const response = await fetch(signed.url, { signal });
  if (!response.ok || !response.body) throw new PipelineError(response.status === 404 ? GONE : `The source video could not be read (HTTP ${response.status})`);
  const path = join(workDir, 'source_video.mp4');
  await pipeline(Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), createWriteStream(path, { mode: 0o600 }), { signal });
  return path;
}
