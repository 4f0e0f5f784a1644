// ArtifactStore port: where final videos live and how clients get them.

export interface StoredArtifact {
  /** Object key: {prefix}/{YYYY-MM}/{job_id}/final_video.mp4 */
  key: string;
  /** gs://bucket/key, s3://bucket/key or file:///abs/path */
  uri: string;
  /** Set only by the GCS store. */
  gcsUri: string | null;
  sizeBytes: number;
}

export interface SignedUrl {
  url: string;
  expiresIn: number;
}

export interface SignOptions {
  expiresInSeconds: number;
  /** Origin of the API (server.public_url or the address the connection reached), for stores whose links point back at it. */
  requestOrigin?: string;
}

export interface ArtifactStore {
  readonly kind: 'local' | 'gcs' | 's3';
  /** Streams the local file into the store and verifies it; throws StorageError. */
  put(localPath: string, jobId: string, options?: { signal?: AbortSignal; now?: Date }): Promise<StoredArtifact>;
  /** A fresh signed URL for a stored key; throws StorageError. */
  sign(key: string, options: SignOptions): Promise<SignedUrl>;
  /** Throws when the store is unreachable or misconfigured. */
  ping(): Promise<void>;
  /** Removes a stored artifact (DELETE /v1/jobs/{id}); a key that is already gone is no error. */
  delete(key: string): Promise<void>;
  /**
   * Every stored file with its last write, for the retention sweep. Only stores whose files ttv owns
   * (local) offer it; a bucket's objects are aged by the bucket's own lifecycle rule.
   */
  files?(): AsyncIterable<StoredFile>;
  /**
   * Remote stores (GCS, S3): keeps a job's temporary file (a finished segment's clip) at
   * keptKey(prefix, jobId, name) until the job ends, so that a later attempt on another machine reads
   * it (read). Removed with the job (storage/kept-clips.ts). Local storage keeps such files in the data dir.
   */
  keep?(localPath: string, jobId: string, name: string, options?: { signal?: AbortSignal }): Promise<StoredArtifact>;
  /** Remote stores: copies a stored object to a local file; false when there is no such object. */
  read?(key: string, localPath: string, options?: { signal?: AbortSignal }): Promise<boolean>;
}

export interface StoredFile {
  key: string;
  modifiedAt: Date;
  sizeBytes: number;
}

/** {prefix}/{YYYY-MM}/{job_id}/final_video.mp4, month in UTC at upload time. */
export function artifactKey(prefix: string, jobId: string, now: Date = new Date()): string {
  const month = now.toISOString().slice(0, 7);
  const cleanPrefix = prefix.replace(/^\/+|\/+$/g, '');
  return `${cleanPrefix ? `${cleanPrefix}/` : ''}${month}/${jobId}/final_video.mp4`;
}

/** {prefix}/segments/{job_id}/{name}: a job's temporary files, apart from the final videos' months. */
export function keptKey(prefix: string, jobId: string, name: string): string {
  const cleanPrefix = prefix.replace(/^\/+|\/+$/g, '');
  return `${cleanPrefix ? `${cleanPrefix}/` : ''}segments/${jobId}/${name}`;
}
