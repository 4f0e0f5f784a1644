// Every paid second is paid once, also between workers that share nothing but the job store and the
// artifact store: two `ttv worker` processes with different data dirs, one Redis, one S3 (s3rver).
// The first is killed (SIGKILL) while a 3-segment job's second segment renders on the Runway fake;
// the second reuses segment 1's clip from the bucket (not from Runway again), re-attaches to task 2,
// creates task 3 only: one create per segment. The kept clip objects are gone once the job has ended.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRunwayServer } from '../fakes/runway/fake-runway-server.js';
import { argvFor, redisTtvFixture } from '../support/redis-ttv-fixture.js';
import { submit, THREE_SEGMENTS } from '../support/backend-jobs.js';
import { waitFor } from '../support/wait-for.js';

const KEY = 'rw-test-key-0123456789';
const BUCKET = 'ttv-shared-nothing';
const PREFIX = 'videos';
const runway = new FakeRunwayServer(KEY);
const fx = redisTtvFixture('shared-nothing');
let s3Dir: string;
let s3: S3rver;
let s3Endpoint: string;
let client: S3Client;

beforeAll(async () => {
  await runway.start();
  s3Dir = await mkdtemp(join(tmpdir(), 'ttv-shared-nothing-s3-'));
  s3 = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: s3Dir,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  s3Endpoint = `http://127.0.0.1:${((await s3.run()) as unknown as { port: number }).port}`;
  client = new S3Client({
    endpoint: s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
});
afterAll(async () => {
  client?.destroy();
  await s3?.close();
  await runway.stop();
  await rm(s3Dir, { recursive: true, force: true });
});

async function keys(prefix: string): Promise<string[]> {
  const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

describe('paid once across workers that share nothing but Redis and the bucket', () => {
  it("the second worker reuses the first segment's clip from the artifact store: one create per segment; the kept clips go with the job", async () => {
    const setup = await fx.setup([
      'default_backend: runway',
      'segment_duration_seconds: 5',
      `runway_ml: { api_key: ${KEY}, base_url: "${runway.url}" }`,
      `storage: { backend: s3, prefix: ${PREFIX}, s3: { bucket: ${BUCKET}, endpoint: "${s3Endpoint}", region: us-east-1, force_path_style: true, access_key_id: S3RVER, secret_access_key: S3RVER } }`,
      // The fake is not Runway: its polls need not respect Runway's 5 s floor (docs/vendor-behaviour.md).
      'remote_api_settings: { polling_interval: 0.05, polling_interval_floor_override: true, retry_base_seconds: 0.01, max_retries: 2, timeout: 60 }',
      'worker: { lease_seconds: 1, heartbeat_seconds: 0.2, max_attempts: 3 }',
    ]);
    runway.pollsUntilDone = 20;
    const api = await setup.start('api');
    const first = await setup.start('worker');
    const id = await submit(api, THREE_SEGMENTS);
    const kept = `${PREFIX}/segments/${id}/`;

    await waitFor(
      async () => {
        const tasks = [...runway.tasks.values()];
        return tasks.length === 2 && tasks[1]!.polls >= 2 ? true : null;
      },
      { timeoutMs: 60_000, what: 'task 2 rendering' },
    );
    const [task1, task2] = [...runway.tasks.values()];
    await first.kill('SIGKILL');
    expect(task2!.polls).toBeLessThan(runway.pollsUntilDone);
    // Segment 1's clip is in the bucket, under the job's own key.
    expect(await keys(kept)).toEqual([`${kept}segment_01.mp4`]);
    const seenBefore = runway.requests.length;

    // Another machine: its own data dir, nothing shared but Redis and the bucket.
    const otherDataDir = await fx.tempDir();
    const second = await fx.startTtv(argvFor('worker', ['--config', setup.configFile, '--data-dir', otherDataDir]));
    expect(second.url).toBeTruthy();
    const finished = await waitFor(
      async () => {
        const j = (await (await fetch(`${api.url}/v1/jobs/${id}`)).json()) as Record<string, unknown>;
        return j.status === 'finished' || j.status === 'failed' ? j : null;
      },
      { timeoutMs: 90_000, what: 'job to end on the second worker' },
    );
    expect(finished.status, JSON.stringify(finished)).toBe('finished');
    expect(runway.createCount).toBe(3);
    expect(runway.deletedTaskIds).toEqual([]);
    // Segment 1 came from the bucket: Runway was not asked about task 1 again.
    expect(runway.requests.slice(seenBefore).filter((r) => r.path.includes(task1!.id))).toEqual([]);
    const { lines } = (await (await fetch(`${api.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] };
    expect(
      lines.some((l) =>
        /Segment 1: reused the clip an earlier attempt finished \(runway task [\w-]+; not paid again\)/.test(l),
      ),
    ).toBe(true);
    expect(lines.some((l) => l.includes(`runway: re-attached to task ${task2!.id}`))).toBe(true);
    expect(finished.estimated_cost_usd).toBeCloseTo(0.75, 5);
    // The kept clips are removed with the job's end; the final video stays.
    await waitFor(async () => ((await keys(kept)).length === 0 ? true : null), { what: 'kept clip objects removed' });
    expect((await keys(`${PREFIX}/`)).filter((k) => k.endsWith(`/${id}/final_video.mp4`))).toHaveLength(1);
  });
});
