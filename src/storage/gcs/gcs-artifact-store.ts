// Artifacts in Google Cloud Storage at gs://{bucket}/{prefix}/{YYYY-MM}/{job_id}/final_video.mp4
// (the Python server's layout). Uploads stream from disk (resumable above 8 MiB), are retried by the
// SDK with exponential backoff on transient errors (network, 408, 429, 5xx) and never on other 4xx,
// and are verified (MD5 by the SDK, then the stored size). V4 URLs are signed on each request.
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { Storage, type StorageOptions } from '@google-cloud/storage';
import type { AppConfig } from '../../config/schema.js';
import { StorageError } from '../../errors/storage-error.js';
import { ConfigError } from '../../errors/config-error.js';
import {
  artifactKey,
  keptKey,
  type ArtifactStore,
  type SignedUrl,
  type SignOptions,
  type StoredArtifact,
} from '../types.js';
import { redactedClip } from '../../logging/redact.js';

export interface GcsArtifactStoreOptions {
  bucket: string;
  prefix: string;
  /** Service-account JSON; without it, application default credentials. */
  credentialsPath?: string | null;
  /** An emulator or fake (http://127.0.0.1:PORT). */
  apiEndpoint?: string | null;
  /** Uploads larger than this are resumable (default 8 MiB). */
  resumableThresholdBytes?: number;
  /** Resumable uploads go in chunks of this size, each retried on its own (multiple of 256 KiB). */
  chunkSizeBytes?: number;
  /** Retries after the first attempt (SDK autoRetry). */
  maxRetries?: number;
  /** First retry delay in seconds (doubles each time). */
  retryDelaySeconds?: number;
}

const MAX_SIGNED_SECONDS = 604_800;

function isTransient(err: unknown): boolean {
  const code = (err as { code?: number | string }).code;
  if (typeof code === 'number') return code === 408 || code === 429 || code >= 500;
  if (typeof code === 'string')
    return /ECONNRESET|ETIMEDOUT|ECONNREFUSED|EPIPE|EAI_AGAIN|ERR_STREAM_PREMATURE_CLOSE/.test(code);
  // The SDK gives up on a resumable session it cannot resume (e.g. after a dropped connection):
  // a new session from the file is safe, since the object name is the same.
  return err instanceof RangeError || /socket hang up|network|premature/i.test((err as Error)?.message ?? '');
}

function describe(err: unknown): string {
  const e = err as { code?: number | string; message?: string };
  if (typeof e.code === 'number') return `HTTP ${e.code}`;
  if (typeof e.code === 'string') return e.code;
  return redactedClip((e.message ?? 'error').split('\n')[0]!, 200);
}

export class GcsArtifactStore implements ArtifactStore {
  readonly kind = 'gcs' as const;
  private readonly storage: Storage;

  constructor(private readonly options: GcsArtifactStoreOptions) {
    const storageOptions: StorageOptions = {
      retryOptions: {
        autoRetry: true,
        maxRetries: options.maxRetries ?? 4,
        retryDelayMultiplier: 2,
        totalTimeout: 600,
        maxRetryDelay: 32,
        // Idempotent: every upload writes the same object name.
        idempotencyStrategy: 0,
      },
    };
    if (options.credentialsPath) storageOptions.keyFilename = options.credentialsPath;
    if (options.apiEndpoint) storageOptions.apiEndpoint = options.apiEndpoint;
    this.storage = new Storage(storageOptions);
  }

  static fromConfig(config: AppConfig): GcsArtifactStore {
    const gcs = config.gcs;
    const bucket = gcs?.bucket;
    if (!bucket) throw new ConfigError([{ key: 'gcs.bucket', message: 'required when storage.backend is gcs' }]);
    return new GcsArtifactStore({
      bucket,
      prefix: config.storage.prefix,
      credentialsPath: gcs.credentials_path ?? (config.google_veo?.credentials_path as string | undefined) ?? null,
      apiEndpoint: gcs.api_endpoint,
      resumableThresholdBytes: gcs.resumable_threshold_bytes,
      chunkSizeBytes: gcs.upload_chunk_size_bytes,
      maxRetries: gcs.max_retries,
      retryDelaySeconds: gcs.retry_delay_seconds,
    });
  }

  async put(
    localPath: string,
    jobId: string,
    options: { signal?: AbortSignal; now?: Date } = {},
  ): Promise<StoredArtifact> {
    return this.upload(localPath, artifactKey(this.options.prefix, jobId, options.now), options);
  }

  async keep(
    localPath: string,
    jobId: string,
    name: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<StoredArtifact> {
    return this.upload(localPath, keptKey(this.options.prefix, jobId, name), options);
  }

  async read(key: string, localPath: string, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const file = this.storage.bucket(this.options.bucket).file(key);
    try {
      // The SDK checks the object's hash as it streams (validation).
      await pipeline(file.createReadStream({ validation: 'md5' }), createWriteStream(localPath, { mode: 0o600 }), {
        signal: options.signal,
      });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return false;
      throw new StorageError(`could not read gs://${this.options.bucket}/${key}: ${describe(err)}`, {
        cause: err,
        retryable: true,
      });
    }
  }

  private async upload(localPath: string, key: string, options: { signal?: AbortSignal }): Promise<StoredArtifact> {
    const file = this.storage.bucket(this.options.bucket).file(key);
    let size: number;
    try {
      size = (await stat(localPath)).size;
    } catch (err) {
      throw new StorageError('the video to upload is missing', { cause: err });
    }
    const retries = this.options.maxRetries ?? 4;
    const resumable = size > (this.options.resumableThresholdBytes ?? 8 * 1024 * 1024);
    let lastError: unknown;
    // The SDK retries requests; a stream broken mid-way is retried here, from the file, whole.
    for (let attempt = 0; attempt <= retries; attempt += 1) {
      try {
        await pipeline(
          createReadStream(localPath),
          file.createWriteStream({
            resumable,
            ...(resumable ? { chunkSize: this.options.chunkSizeBytes ?? 8 * 1024 * 1024 } : {}),
            contentType: 'video/mp4',
            validation: 'md5',
            // contentLength: the SDK sends X-Upload-Content-Length and names the total in every chunk's
            // Content-Range (bytes a-b/TOTAL) instead of "/*" until the last one.
            metadata: {
              contentType: 'video/mp4',
              cacheControl: 'private, max-age=0',
              ...(resumable ? { contentLength: size } : {}),
            },
          }),
          { signal: options.signal },
        );
        const [metadata] = await file.getMetadata();
        if (Number(metadata.size) !== size)
          throw new StorageError(`uploaded size mismatch (${metadata.size} of ${size} bytes)`, { retryable: true });
        return {
          key,
          uri: `gs://${this.options.bucket}/${key}`,
          gcsUri: `gs://${this.options.bucket}/${key}`,
          sizeBytes: size,
        };
      } catch (err) {
        if (options.signal?.aborted) throw err;
        lastError = err;
        const transient = err instanceof StorageError ? err.retryable : isTransient(err);
        if (!transient || attempt === retries) break;
        await new Promise((r) => setTimeout(r, (this.options.retryDelaySeconds ?? 1) * 1000 * 2 ** attempt));
      }
    }
    throw new StorageError(`upload to gs://${this.options.bucket} failed: ${describe(lastError)}`, {
      cause: lastError,
    });
  }

  async sign(key: string, options: SignOptions): Promise<SignedUrl> {
    const expiresIn = Math.min(options.expiresInSeconds, MAX_SIGNED_SECONDS);
    try {
      const [url] = await this.storage
        .bucket(this.options.bucket)
        .file(key)
        .getSignedUrl({
          version: 'v4',
          action: 'read',
          expires: Date.now() + expiresIn * 1000,
          responseDisposition: 'inline',
          responseType: 'video/mp4',
        });
      return { url, expiresIn };
    } catch (err) {
      throw new StorageError(`could not sign a URL for gs://${this.options.bucket}/${key}: ${describe(err)}`, {
        cause: err,
      });
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.storage.bucket(this.options.bucket).file(key).delete({ ignoreNotFound: true });
    } catch (err) {
      throw new StorageError(`could not delete gs://${this.options.bucket}/${key}: ${describe(err)}`, { cause: err });
    }
  }

  async ping(): Promise<void> {
    try {
      await this.storage.bucket(this.options.bucket).getMetadata();
    } catch (err) {
      throw new StorageError(`bucket ${this.options.bucket} is not reachable: ${describe(err)}`, {
        cause: err,
        retryable: true,
      });
    }
  }
}
