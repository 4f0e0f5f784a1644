// An outcome the store will not take (Redis refusing writes, as while a replica fails over or memory
// is full) is not dropped: the worker keeps its lease, reports the cause through problems() (what
// /readyz shows) and writes the outcome once Redis takes writes again.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { openJobQueue } from '../../../src/jobs/open-job-queue.js';
import { buildApp } from '../../../src/api/app.js';
import { openArtifactStore } from '../../../src/storage/open-artifact-store.js';
import { redisClientForFile } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';

const redis = redisClientForFile();

it('retries an outcome Redis refused, reporting outcome_not_recorded meanwhile, and records it exactly once', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ttv-retry-'));
  const config = configSchema.parse({
    data_dir: dir,
    logging: { level: 'silent' },
    redis: { url: redis.server().url, key_prefix: `ttv-retry-${randomUUID().slice(0, 8)}` },
    worker: { lease_seconds: 30, heartbeat_seconds: 0.5 },
  });
  const queue = openJobQueue(config);
  let release!: () => void;
  const released = new Promise<void>((r) => {
    release = r;
  });
  let started!: () => void;
  const running = new Promise<void>((r) => {
    started = r;
  });
  const consumer = queue.consume({
    concurrency: 1,
    handler: async (ctx) => {
      started();
      await released;
      return { artifactUri: `file:///a/${ctx.job.id}.mp4`, artifactKey: `k/${ctx.job.id}`, gcsUri: null };
    },
  });
  // The API as `ttv serve` assembles it, with the in-process worker's problems.
  const app = await buildApp({
    config,
    queue,
    store: await openArtifactStore(config),
    problems: () => consumer.problems(),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/readyz`);
    return {
      status: res.status,
      body: (await res.json()) as { status: string; problems: { reason: string; message: string }[] },
    };
  };
  try {
    await waitFor(async () => ((await readyz()).status === 200 ? true : null), { what: 'ready before the trouble' });
    expect((await readyz()).body.problems).toEqual([]);
    const { job } = await queue.submit({ prompt: 'store trouble at the end' });
    await running;
    // Scripts are writes: for 7 s Redis holds every one, so the outcome write times out and is retried.
    await redis.client().call('CLIENT', 'PAUSE', '7000', 'WRITE');
    release();
    const problem = await waitFor(async () => consumer.problems()[0], {
      timeoutMs: 20_000,
      what: 'the outcome problem',
    });
    expect(problem).toMatchObject({ reason: 'outcome_not_recorded', jobId: job.id });
    expect(problem.message).toContain(job.id);
    expect((await queue.get(job.id))?.status).not.toBe('finished');
    const notReady = await readyz();
    expect(notReady.status).toBe(503);
    expect(notReady.body).toMatchObject({
      status: 'not_ready',
      problems: [{ reason: 'outcome_not_recorded', message: expect.stringContaining(job.id) }],
    });
    const finished = await waitFor(
      async () => {
        const j = await queue.get(job.id);
        return j?.status === 'finished' ? j : null;
      },
      { timeoutMs: 30_000, what: 'the outcome to be recorded once writes are back' },
    );
    expect(finished.artifact_uri).toBe(`file:///a/${job.id}.mp4`);
    expect(finished.attempts).toBe(1);
    expect(consumer.problems()).toEqual([]);
    await waitFor(async () => ((await readyz()).status === 200 ? true : null), { what: 'ready again' });
    expect((await queue.logs(job.id, 0))!.filter((l) => l.includes('Video generation completed'))).toHaveLength(1);
  } finally {
    await redis
      .client()
      .call('CLIENT', 'UNPAUSE')
      .catch(() => undefined);
    await app.close();
    await consumer.close(0);
    await queue.close();
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
