// The S3 store against s3rver on loopback: a full job through the API with storage.backend s3, the
// presigned URL's SigV4 signature rebuilt and checked with the secret (s3rver itself does not check
// presigned signatures), and the same bytes downloaded back.
import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import S3rver from 's3rver';
import { postJob, startTestService } from '../../support/test-service.js';
import { waitForJobStatus } from '../../support/job-status.js';
import { S3ArtifactStore } from '../../../src/storage/s3/s3-artifact-store.js';

const BUCKET = 'ttv-s3-test';
const SECRET = 'S3RVER';
let dir: string;
let server: S3rver;
let endpoint: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-s3-'));
  server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const address = (await server.run()) as unknown as { port: number };
  endpoint = `http://127.0.0.1:${address.port}`;
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

const enc = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** Rebuilds the SigV4 query-presigned canonical request and recomputes the signature. */
function sigV4Valid(url: string, secret: string): boolean {
  const u = new URL(url);
  const q = u.searchParams;
  const [, date, region, service] = decodeURIComponent(q.get('X-Amz-Credential')!).split('/') as [
    string,
    string,
    string,
    string,
  ];
  const query = [...q.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [enc(k), enc(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const signedHeaders = q.get('X-Amz-SignedHeaders')!;
  const canonical = [
    'GET',
    u.pathname
      .split('/')
      .map((p) => enc(decodeURIComponent(p)))
      .join('/'),
    query,
    `host:${u.host}\n`,
    signedHeaders,
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = [
    'AWS4-HMAC-SHA256',
    q.get('X-Amz-Date'),
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
  return createHmac('sha256', key).update(toSign).digest('hex') === q.get('X-Amz-Signature');
}

describe('S3 artifact store', () => {
  it('runs a whole job into S3 with a presigned URL whose SigV4 signature verifies', async () => {
    const svc = await startTestService({
      storage: {
        backend: 's3',
        s3: {
          bucket: BUCKET,
          endpoint,
          region: 'us-east-1',
          force_path_style: true,
          access_key_id: 'S3RVER',
          secret_access_key: SECRET,
        },
      },
    });
    try {
      const { id } = (await (await postJob(svc.url, { prompt: 'Into the bucket. Out again.' })).json()) as {
        id: string;
      };
      const job = await waitForJobStatus(svc.url, id);
      expect(job.error).toBeNull();
      const month = new Date().toISOString().slice(0, 7);
      expect(job.artifact_uri).toBe(`s3://${BUCKET}/ttv-api/${month}/${id}/final_video.mp4`);
      expect(job.gcs_uri).toBeNull();
      const artifact = (await (await fetch(`${svc.url}/v1/jobs/${id}/artifact?expires_in=300`)).json()) as {
        url: string;
        expires_in: number;
      };
      const url = new URL(artifact.url);
      expect(url.origin).toBe(endpoint);
      expect(url.pathname).toBe(`/${BUCKET}/ttv-api/${month}/${id}/final_video.mp4`);
      expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
      expect(sigV4Valid(artifact.url, SECRET)).toBe(true);
      expect(sigV4Valid(artifact.url, 'another-secret')).toBe(false);
      const tampered = new URL(artifact.url);
      tampered.searchParams.set('X-Amz-Expires', '604800');
      expect(sigV4Valid(tampered.href, SECRET)).toBe(false);
      const download = await fetch(artifact.url);
      expect(download.status).toBe(200);
      const bytes = Buffer.from(await download.arrayBuffer());
      expect(bytes.subarray(4, 8).toString()).toBe('ftyp');
      const ready = (await (await fetch(`${svc.url}/readyz`)).json()) as { components: Record<string, string> };
      expect(ready.components.artifact_store).toBe('healthy');
    } finally {
      await svc.close();
    }
  });

  it("keeps a job's segment clip under {prefix}/segments/{job_id}/, reads it back byte for byte, and says when it is gone", async () => {
    const store = new S3ArtifactStore({
      bucket: BUCKET,
      prefix: 'kept',
      region: 'us-east-1',
      endpoint,
      forcePathStyle: true,
      accessKeyId: 'S3RVER',
      secretAccessKey: SECRET,
    });
    const file = join(dir, 'clip.mp4');
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256));
    await writeFile(file, bytes);
    const kept = await store.keep(file, 'job-kept', 'segment_01.mp4');
    expect(kept.key).toBe('kept/segments/job-kept/segment_01.mp4');
    const back = join(dir, 'clip-back.mp4');
    expect(await store.read(kept.key, back)).toBe(true);
    expect((await readFile(back)).equals(bytes)).toBe(true);
    await store.delete(kept.key);
    expect(await store.read(kept.key, join(dir, 'clip-gone.mp4'))).toBe(false);
  });

  it('fails a job clearly when the bucket does not exist', async () => {
    const svc = await startTestService({
      storage: {
        backend: 's3',
        s3: {
          bucket: 'no-such-bucket',
          endpoint,
          region: 'us-east-1',
          force_path_style: true,
          access_key_id: 'S3RVER',
          secret_access_key: SECRET,
        },
      },
    });
    try {
      const { id } = (await (await postJob(svc.url, { prompt: 'Nowhere to go.' })).json()) as { id: string };
      const job = await waitForJobStatus(svc.url, id, ['failed']);
      expect(String(job.error)).toMatch(/^upload to s3:\/\/no-such-bucket failed: NoSuchBucket/);
      expect((await fetch(`${svc.url}/readyz`)).status).toBe(503);
    } finally {
      await svc.close();
    }
  });
});
