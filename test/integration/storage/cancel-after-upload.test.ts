// A cancel that lands after the upload: the job ends `canceled` and its stored final_video.mp4 is
// deleted. Deterministic through the storage server: s3rver sits behind a small proxy that, when the
// store verifies the object it has just written (the HEAD after the PUT), first cancels the job through
// the real HTTP API and only then lets the verification through. So the object is stored, the cancel is
// recorded, and the worker learns of both in whichever order its own timing gives.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import S3rver from 's3rver';
import { postJob, startTestService } from '../../support/test-service.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';
import { assertPostgresReachable, testPostgresConfig } from '../../support/postgres.js';

const BUCKET = 'ttv-cancel-test';
let dir: string;
let s3: S3rver;
let s3Endpoint: string;
let proxy: Server;
let proxyEndpoint: string;
let redis: RedisServer;
/** The API the proxy cancels through, and what it saw. */
let apiUrl = '';
const proxyCancels: Promise<{ key: string; status: number }>[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-cancel-s3-'));
  s3 = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  s3Endpoint = `http://127.0.0.1:${((await s3.run()) as unknown as { port: number }).port}`;
  const upstream = new URL(s3Endpoint);
  proxy = createServer((req, res) => {
    const forward = () => {
      const out = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      out.on('error', () => res.destroy());
      req.pipe(out);
    };
    const artifact = /\/([0-9a-f-]{36})\/final_video\.mp4$/.exec(req.url?.split('?')[0] ?? '');
    if (req.method === 'HEAD' && artifact) {
      const key = req.url!.split('?')[0]!.replace(`/${BUCKET}/`, '');
      proxyCancels.push(
        fetch(`${apiUrl}/v1/jobs/${artifact[1]}/cancel`, { method: 'POST' })
          .then((r) => ({ key, status: r.status }))
          .finally(forward),
      );
      return;
    }
    forward();
  });
  proxy.listen(0, '127.0.0.1');
  await new Promise((r) => proxy.once('listening', r));
  proxyEndpoint = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  redis = await startRedisServer();
});
afterAll(async () => {
  await new Promise((r) => proxy?.close(r));
  await s3?.close();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function objectExists(key: string): Promise<boolean> {
  const client = new S3Client({
    endpoint: s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  try {
    await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  } finally {
    client.destroy();
  }
}

describe.each(['sqlite', 'redis', 'postgres'] as const)('cancel after upload (%s)', (adapter) => {
  it('ends the job canceled and deletes its stored final_video.mp4', async () => {
    if (adapter === 'postgres') await assertPostgresReachable();
    const schema = adapter === 'postgres' ? testPostgresConfig() : null;
    const svc = await startTestService({
      storage: {
        backend: 's3',
        s3: {
          bucket: BUCKET,
          endpoint: proxyEndpoint,
          region: 'us-east-1',
          force_path_style: true,
          access_key_id: 'S3RVER',
          secret_access_key: 'S3RVER',
        },
      },
      ...(adapter === 'redis' ? { redis: { url: redis.url, key_prefix: `ttv-cau-${randomUUID().slice(0, 8)}` } } : {}),
      ...(schema ? { postgres: schema.config } : {}),
    });
    apiUrl = svc.url;
    proxyCancels.length = 0;
    try {
      const { id } = (await (await postJob(svc.url, { prompt: 'Stored, then canceled.' })).json()) as { id: string };
      const job = await waitFor(
        async () => {
          const j = (await (await fetch(`${svc.url}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
          return ['finished', 'failed', 'canceled'].includes(String(j.status)) ? j : null;
        },
        { timeoutMs: 30_000, what: 'the job to end' },
      );
      // The proxy canceled it while the object was already stored: the cancel was accepted (200).
      const canceledByProxy = await Promise.all(proxyCancels);
      expect(canceledByProxy).toEqual([{ key: expect.stringContaining(`/${id}/final_video.mp4`), status: 200 }]);
      expect(job.status).toBe('canceled');
      expect(job.artifact_uri).toBeNull();
      const key = canceledByProxy[0]!.key;
      await waitFor(
        async () => {
          const { lines } = (await (await fetch(`${svc.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] };
          return lines.some((l) => l.includes('the stored video was deleted')) ? true : null;
        },
        { timeoutMs: 20_000, what: 'the worker to delete the stored video' },
      );
      expect(await objectExists(key)).toBe(false);
    } finally {
      await svc.close();
      await schema?.drop();
    }
  });
});
