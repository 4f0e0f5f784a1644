// Artifacts in S3 or an S3-compatible store (MinIO, R2, …) at s3://{bucket}/{prefix}/{YYYY-MM}/{job_id}/final_video.mp4.
// Uploads stream from disk as a multipart upload (lib-storage), the SDK retries transient errors with
// backoff, the stored size is verified, and GET URLs are presigned (SigV4) on each request.
import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stat } from 'node:fs/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
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

export interface S3ArtifactStoreOptions {
  bucket: string;
  prefix: string;
  region: string;
  endpoint?: string | null;
  forcePathStyle?: boolean;
  accessKeyId?: string | null;
  secretAccessKey?: string | null;
  maxAttempts?: number;
}

const MAX_SIGNED_SECONDS = 604_800;

function describe(err: unknown): string {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; message?: string };
  const status = e.$metadata?.httpStatusCode;
  return `${e.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}`;
}

export class S3ArtifactStore implements ArtifactStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;

  constructor(private readonly options: S3ArtifactStoreOptions) {
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? false,
      maxAttempts: options.maxAttempts ?? 5,
    };
    if (options.endpoint) config.endpoint = options.endpoint;
    if (options.accessKeyId && options.secretAccessKey) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    }
    this.client = new S3Client(config);
  }

  static fromConfig(config: AppConfig): S3ArtifactStore {
    const s3 = config.storage.s3;
    if (!s3?.bucket)
      throw new ConfigError([{ key: 'storage.s3.bucket', message: 'required when storage.backend is s3' }]);
    return new S3ArtifactStore({
      bucket: s3.bucket,
      prefix: config.storage.prefix,
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: s3.force_path_style,
      accessKeyId: s3.access_key_id,
      secretAccessKey: s3.secret_access_key,
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
    let body: Readable;
    try {
      const got = await this.client.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }), {
        abortSignal: options.signal,
      });
      body = got.Body as Readable;
    } catch (err) {
      const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404) return false;
      throw new StorageError(`could not read s3://${this.options.bucket}/${key}: ${describe(err)}`, {
        cause: err,
        retryable: true,
      });
    }
    try {
      await pipeline(body, createWriteStream(localPath, { mode: 0o600 }), { signal: options.signal });
      return true;
    } catch (err) {
      throw new StorageError(`could not read s3://${this.options.bucket}/${key}: ${describe(err)}`, {
        cause: err,
        retryable: true,
      });
    }
  }

  private async upload(localPath: string, key: string, options: { signal?: AbortSignal }): Promise<StoredArtifact> {
    let size: number;
    try {
      size = (await stat(localPath)).size;
    } catch (err) {
      throw new StorageError('the video to upload is missing', { cause: err });
    }
    try {
      const upload = new Upload({
        client: this.client,
        params: {
          Bucket: this.options.bucket,
          Key: key,
          Body: createReadStream(localPath),
          ContentType: 'video/mp4',
          ContentLength: size,
        },
        partSize: 8 * 1024 * 1024,
        queueSize: 2,
        leavePartsOnError: false,
      });
      const onAbort = () => void upload.abort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await upload.done();
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
      }
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      if (head.ContentLength !== size)
        throw new StorageError(`uploaded size mismatch (${head.ContentLength} of ${size} bytes)`);
      return { key, uri: `s3://${this.options.bucket}/${key}`, gcsUri: null, sizeBytes: size };
    } catch (err) {
      if (err instanceof StorageError) throw err;
      throw new StorageError(`upload to s3://${this.options.bucket} failed: ${describe(err)}`, { cause: err });
    }
  }

  async sign(key: string, options: SignOptions): Promise<SignedUrl> {
    const expiresIn = Math.min(options.expiresInSeconds, MAX_SIGNED_SECONDS);
    try {
      const url = await getSignedUrl(
        this.client,
        new GetObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          ResponseContentType: 'video/mp4',
          ResponseContentDisposition: 'inline',
        }),
        { expiresIn },
      );
      return { url, expiresIn };
    } catch (err) {
      throw new StorageError(`could not sign a URL for s3://${this.options.bucket}/${key}: ${describe(err)}`, {
        cause: err,
      });
    }
  }

  async delete(key: string): Promise<void> {
    try {
      // S3 answers 204 for a key that does not exist: deleting twice is fine.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: key }));
    } catch (err) {
      throw new StorageError(`could not delete s3://${this.options.bucket}/${key}`, { cause: err });
    }
  }

  async ping(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
    } catch (err) {
      throw new StorageError(`bucket ${this.options.bucket} is not reachable: ${describe(err)}`, {
        cause: err,
        retryable: true,
      });
    }
  }
}
