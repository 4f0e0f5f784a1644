// The GCS store against the fake GCS JSON API: a full job through the API, V4 signatures verified
// with the service account's public key, resumable uploads resuming after a dropped connection, and
// transient vs permanent upload failures.
import { createHash, createPublicKey, createVerify } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGcsServer, canonicalV4 } from '../../fakes/gcs/fake-gcs-server.js';
import { writeServiceAccount, type TestServiceAccount } from '../../support/service-account.js';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { waitFor } from '../../support/wait-for.js';
import { GcsArtifactStore } from '../../../src/storage/gcs/gcs-artifact-store.js';
import { StorageError } from '../../../src/errors/storage-error.js';
import { configSchema } from '../../../src/config/schema.js';
import { defaultSignedUrlExpiration } from '../../../src/config/signed-url-expiration.js';
import { waitForJobStatus } from '../../support/job-status.js';

const BUCKET = 'ttv-test-artifacts';
let dir: string;
let account: TestServiceAccount;
let fake: FakeGcsServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-gcs-'));
  account = await writeServiceAccount(dir);
  fake = new FakeGcsServer({ buckets: [BUCKET], publicKeyPem: account.publicKeyPem });
  await fake.start();
});
afterAll(async () => {
  await fake?.stop();
  await rm(dir, { recursive: true, force: true });
});

function gcsConfig(extra: Record<string, unknown> = {}) {
  return {
    storage: { backend: 'gcs' },
    gcs: {
      bucket: BUCKET,
      prefix: 'ttv-api',
      credentials_path: account.file,
      api_endpoint: fake.url,
      retry_delay_seconds: 0.05,
      ...extra,
    },
  };
}

function verifyV4(url: string): boolean {
  const u = new URL(url);
  const scope = decodeURIComponent(u.searchParams.get('X-Goog-Credential')!).split('/').slice(1).join('/');
  const canonical = canonicalV4('GET', u, u.hostname);
  const stringToSign = [
    'GOOG4-RSA-SHA256',
    u.searchParams.get('X-Goog-Date'),
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  return createVerify('RSA-SHA256')
    .update(stringToSign)
    .verify(createPublicKey(account.publicKeyPem), Buffer.from(u.searchParams.get('X-Goog-Signature')!, 'hex'));
}

const waitForJob = (svc: TestService, id: string) => waitForJobStatus(svc.url, id);

describe('GCS artifact store', () => {
  it('runs a whole job into GCS: exact gcs_uri, a V4 URL whose signature verifies, the same bytes back', async () => {
    const svc = await startTestService(gcsConfig());
    try {
      const { id } = (await (await postJob(svc.url, { prompt: 'Stored in the cloud. Twice over.' })).json()) as {
        id: string;
      };
      const job = await waitForJob(svc, id);
      expect(job.error ?? null).toBeNull();
      expect(job.status).toBe('finished');
      const month = new Date().toISOString().slice(0, 7);
      expect(job.gcs_uri).toBe(`gs://${BUCKET}/ttv-api/${month}/${id}/final_video.mp4`);
      expect(job.artifact_uri).toBe(job.gcs_uri);
      const stored = fake.object(BUCKET, `ttv-api/${month}/${id}/final_video.mp4`)!;
      expect(stored.contentType).toBe('video/mp4');
      const artifact = (await (await fetch(`${svc.url}/v1/jobs/${id}/artifact?expires_in=600`)).json()) as {
        url: string;
        gcs_uri: string;
        expires_in: number;
      };
      expect(artifact.gcs_uri).toBe(job.gcs_uri);
      expect(artifact.expires_in).toBe(600);
      const url = new URL(artifact.url);
      expect(url.searchParams.get('X-Goog-Algorithm')).toBe('GOOG4-RSA-SHA256');
      expect(url.searchParams.get('X-Goog-Expires')).toBe('600');
      expect(decodeURIComponent(url.searchParams.get('X-Goog-Credential')!)).toMatch(
        new RegExp(`^${account.clientEmail}/\\d{8}/auto/storage/goog4_request$`),
      );
      expect(verifyV4(artifact.url)).toBe(true);
      const download = await fetch(artifact.url);
      expect(download.status).toBe(200);
      expect(Buffer.from(await download.arrayBuffer())).toEqual(stored.bytes);
      // Signed anew on each call; a tampered signature is refused by the store.
      const again = (await (await fetch(`${svc.url}/v1/jobs/${id}/artifact`)).json()) as { url: string };
      expect(verifyV4(again.url)).toBe(true);
      const tampered = new URL(again.url);
      tampered.searchParams.set('X-Goog-Expires', '604800');
      expect(verifyV4(tampered.href)).toBe(false);
      expect((await fetch(tampered)).status).toBe(403);
      const redirect = await fetch(`${svc.url}/v1/jobs/${id}/artifact?redirect=true`, { redirect: 'manual' });
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get('location')).toMatch(new RegExp(`^${fake.url}/${BUCKET}/ttv-api/`));
      const ready = (await (await fetch(`${svc.url}/readyz`)).json()) as { components: Record<string, string> };
      expect(ready.components.artifact_store).toBe('healthy');
    } finally {
      await svc.close();
    }
  });

  it('retries transient upload failures (503, reset) and the job still finishes', async () => {
    const svc = await startTestService(gcsConfig());
    try {
      fake.inject({ status: 503 }, (req) => req.method === 'POST' && req.url!.startsWith('/upload/'));
      fake.inject({ reset: true }, (req) => req.method === 'POST' && req.url!.startsWith('/upload/'));
      const { id } = (await (await postJob(svc.url, { prompt: 'Flaky storage.' })).json()) as { id: string };
      const job = await waitForJob(svc, id);
      expect(job.status).toBe('finished');
      expect(fake.object(BUCKET, String(job.gcs_uri).replace(`gs://${BUCKET}/`, ''))).toBeDefined();
    } finally {
      await svc.close();
    }
  });

  it('fails the job clearly on a permanent upload error, keeping the video until the failure is recorded', async () => {
    const svc = await startTestService(gcsConfig());
    try {
      let videoPresentDuringUpload = false;
      // The final video's upload (segment clips kept in the bucket are uploaded earlier, before it exists).
      fake.inject({ status: 403 }, (req) => {
        if (req.method !== 'POST' || !req.url!.startsWith('/upload/')) return false;
        const tmp = join(svc.dataDir, 'tmp');
        videoPresentDuringUpload = readdirSync(tmp).some((d) => existsSync(join(tmp, d, 'final_video.mp4')));
        return videoPresentDuringUpload;
      });
      const { id } = (await (await postJob(svc.url, { prompt: 'Forbidden bucket.' })).json()) as { id: string };
      const job = await waitForJob(svc, id);
      expect(job.status).toBe('failed');
      expect(job.error).toBe(`upload to gs://${BUCKET} failed: HTTP 403`);
      expect(videoPresentDuringUpload).toBe(true);
      await waitFor(async () => (readdirSync(join(svc.dataDir, 'tmp')).length === 0 ? true : null), {
        what: 'scratch dir removal after the outcome',
      });
    } finally {
      await svc.close();
    }
  });

  it('speaks the resumable protocol: chunks, 308 + Range, and resuming after a connection dropped mid-chunk', async () => {
    const name = 'protocol/raw.bin';
    const bytes = Buffer.alloc(600 * 1024, 7);
    const init = await fetch(
      `${fake.url}/upload/storage/v1/b/${BUCKET}/o?uploadType=resumable&name=${encodeURIComponent(name)}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=UTF-8' },
        body: JSON.stringify({ contentType: 'application/octet-stream' }),
      },
    );
    expect(init.status).toBe(200);
    const session = init.headers.get('location')!;
    const put = (range: string, body?: Buffer) =>
      fetch(session, {
        method: 'PUT',
        headers: { 'content-range': range },
        body: body ? new Uint8Array(body) : undefined,
      });
    const first = await put('bytes 0-262143/*', bytes.subarray(0, 262144));
    expect(fake.lastError?.stack ?? null).toBeNull();
    expect(first.status).toBe(308);
    expect(first.headers.get('range')).toBe('bytes=0-262143');
    fake.inject(
      { dropAfterBytes: 100_000 },
      (req) => req.method === 'PUT' && String(req.headers['content-range']).startsWith('bytes 262144-'),
    );
    await expect(put('bytes 262144-524287/*', bytes.subarray(262144, 524288))).rejects.toThrow();
    const status = await put('bytes */*');
    expect(status.status).toBe(308);
    expect(status.headers.get('range')).toBe(`bytes=0-${262144 + 100_000 - 1}`);
    const rest = await put(
      `bytes ${262144 + 100_000}-${bytes.length - 1}/${bytes.length}`,
      bytes.subarray(262144 + 100_000),
    );
    expect(rest.status).toBe(200);
    const resource = (await rest.json()) as { size: string; md5Hash: string };
    expect(resource.size).toBe(String(bytes.length));
    expect(resource.md5Hash).toBe(createHash('md5').update(bytes).digest('base64'));
    expect(fake.object(BUCKET, name)!.bytes.equals(bytes)).toBe(true);
  });

  it("keeps a job's segment clip under {prefix}/segments/{job_id}/, reads it back byte for byte, and says when it is gone", async () => {
    const store = new GcsArtifactStore({
      bucket: BUCKET,
      prefix: 'kept',
      credentialsPath: account.file,
      apiEndpoint: fake.url,
      retryDelaySeconds: 0.05,
    });
    const file = join(dir, 'clip.mp4');
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    await writeFile(file, bytes);
    const kept = await store.keep(file, 'job-kept', 'segment_01.mp4');
    expect(kept.key).toBe('kept/segments/job-kept/segment_01.mp4');
    expect(fake.object(BUCKET, kept.key)!.bytes.equals(bytes)).toBe(true);
    const back = join(dir, 'clip-back.mp4');
    expect(await store.read(kept.key, back)).toBe(true);
    expect((await readFile(back)).equals(bytes)).toBe(true);
    await store.delete(kept.key);
    expect(await store.read(kept.key, join(dir, 'clip-gone.mp4'))).toBe(false);
  });

  it('finishes an upload whose connection drops mid-chunk, and resumes a chunk the server failed', async () => {
    const store = new GcsArtifactStore({
      bucket: BUCKET,
      prefix: 'resumable',
      credentialsPath: account.file,
      apiEndpoint: fake.url,
      resumableThresholdBytes: 0,
      chunkSizeBytes: 256 * 1024,
      retryDelaySeconds: 0.05,
    });
    const file = join(dir, 'big.bin');
    const bytes = Buffer.alloc(900 * 1024);
    for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 31) % 251;
    await writeFile(file, bytes);
    fake.inject(
      { dropAfterBytes: 100 * 1024 },
      (req) => req.method === 'PUT' && String(req.headers['content-range']).startsWith('bytes 262144-'),
    );
    const stored = await store.put(file, 'job-resumable');
    expect(fake.object(BUCKET, stored.key)!.bytes.equals(bytes)).toBe(true);
    expect(stored.sizeBytes).toBe(bytes.length);
    // A 503 on a chunk: the SDK asks the session what it has (bytes */*) and continues from there.
    const before = fake.requests.length;
    fake.inject(
      { status: 503 },
      (req) => req.method === 'PUT' && String(req.headers['content-range']).startsWith('bytes 262144-'),
    );
    const again = await store.put(file, 'job-resumable-2');
    expect(fake.object(BUCKET, again.key)!.bytes.equals(bytes)).toBe(true);
    const later = fake.requests.slice(before);
    expect(later.filter((r) => r.startsWith('POST /upload/'))).toHaveLength(1);
    expect(later.some((r) => r.endsWith('[bytes */*]'))).toBe(true);
  });

  it('names the known total size in every resumable chunk, which a strict server requires', async () => {
    const strict = new FakeGcsServer({ buckets: [BUCKET], publicKeyPem: account.publicKeyPem, requireTotalSize: true });
    await strict.start();
    try {
      const store = new GcsArtifactStore({
        bucket: BUCKET,
        prefix: 'strict',
        credentialsPath: account.file,
        apiEndpoint: strict.url,
        resumableThresholdBytes: 0,
        chunkSizeBytes: 256 * 1024,
        retryDelaySeconds: 0.05,
        maxRetries: 0,
      });
      const file = join(dir, 'sized.bin');
      const bytes = Buffer.alloc(600 * 1024);
      for (let i = 0; i < bytes.length; i += 1) bytes[i] = (i * 7) % 253;
      await writeFile(file, bytes);
      const stored = await store.put(file, 'job-sized');
      expect(strict.object(BUCKET, stored.key)!.bytes.equals(bytes)).toBe(true);
      const chunks = strict.requests.filter((r) => r.startsWith('PUT /upload/'));
      expect(chunks.length).toBe(3);
      for (const chunk of chunks) expect(chunk).toMatch(new RegExp(`\\[bytes \\d+-\\d+/${bytes.length}\\]$`));
    } finally {
      await strict.stop();
    }
  });

  it('gcs.signed_url_expiration (the Python key) is the default expires_in, over storage.signed_url_expiration', async () => {
    const svc = await startTestService({
      ...gcsConfig({ signed_url_expiration: 900 }),
      storage: { backend: 'gcs', signed_url_expiration: 1800 },
    });
    try {
      const { id } = (await (await postJob(svc.url, { prompt: 'Short-lived link.' })).json()) as { id: string };
      expect((await waitForJob(svc, id)).status).toBe('finished');
      const artifact = (await (await fetch(`${svc.url}/v1/jobs/${id}/artifact`)).json()) as {
        url: string;
        expires_in: number;
      };
      expect(artifact.expires_in).toBe(900);
      expect(new URL(artifact.url).searchParams.get('X-Goog-Expires')).toBe('900');
      // An explicit expires_in still wins.
      expect(
        ((await (await fetch(`${svc.url}/v1/jobs/${id}/artifact?expires_in=120`)).json()) as { expires_in: number })
          .expires_in,
      ).toBe(120);
    } finally {
      await svc.close();
    }
    // Without the gcs key (or on another store), storage.signed_url_expiration applies.
    expect(
      defaultSignedUrlExpiration(
        configSchema.parse({ ...gcsConfig(), storage: { backend: 'gcs', signed_url_expiration: 1800 } }),
      ),
    ).toBe(1800);
    expect(
      defaultSignedUrlExpiration(
        configSchema.parse({
          gcs: { signed_url_expiration: 900 },
          storage: { backend: 'local', signed_url_expiration: 1800 },
        }),
      ),
    ).toBe(1800);
  });

  it('reports an unreachable or missing bucket', async () => {
    const missing = new GcsArtifactStore({
      bucket: 'no-such-bucket',
      prefix: 'x',
      credentialsPath: account.file,
      apiEndpoint: fake.url,
      maxRetries: 0,
    });
    await expect(missing.ping()).rejects.toBeInstanceOf(StorageError);
    const file = join(dir, 'small.bin');
    await writeFile(file, 'abc');
    await expect(missing.put(file, 'j')).rejects.toThrow(/upload to gs:\/\/no-such-bucket failed: HTTP 404/);
    expect(await readFile(file, 'utf8')).toBe('abc');
  });
});
