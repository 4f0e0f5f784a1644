// Claim order with API keys, on every adapter: a key at its max_concurrent_jobs has its further
// jobs wait (queued) while other keys' jobs run, and one key's backlog does not starve another
// key's first job (owners take turns), also behind a backlog of thousands.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { openJobQueue } from '../../../src/jobs/open-job-queue.js';
import { openKeyStore } from '../../../src/access/open-key-store.js';
import type { Consumer, JobContext, JobQueue } from '../../../src/jobs/job-queue.js';
import type { KeyStore } from '../../../src/access/key-store.js';
import { hashKeySecret, newKeySecret } from '../../../src/access/key-secret.js';
import { NO_LIMITS } from '../../../src/access/principal.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from '../../support/postgres.js';
import { BudgetExceededError } from '../../../src/errors/budget-exceeded-error.js';

let redis: RedisServer;
let dir: string;
beforeAll(async () => {
  redis = await startRedisServer();
  dir = await mkdtemp(join(tmpdir(), 'ttv-fair-'));
});
afterAll(async () => {
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The PostgreSQL schemas made for the tests; each is dropped after its test. */
const schemas: TestSchema[] = [];

const configs = {
  sqlite: () => ({ data_dir: join(dir, randomUUID()) }),
  redis: () => ({
    data_dir: join(dir, randomUUID()),
    redis: { url: redis.url, key_prefix: `ttv-fair-${randomUUID().slice(0, 8)}` },
  }),
  postgres: () => {
    const schema = testPostgresConfig();
    schemas.push(schema);
    return { data_dir: join(dir, randomUUID()), postgres: schema.config };
  },
};

describe.each(['sqlite', 'redis', 'postgres'] as const)('fair claims (%s)', (adapter) => {
  let queue: JobQueue;
  let keys: KeyStore;
  let consumer: Consumer | null = null;
  const started: string[] = [];
  const release = new Map<string, () => void>();

  beforeAll(async () => {
    if (adapter === 'postgres') await assertPostgresReachable();
  });

  const open = () => {
    const config = configSchema.parse({ ...configs[adapter](), worker: { lease_seconds: 5, heartbeat_seconds: 0.5 } });
    queue = openJobQueue(config);
    keys = openKeyStore(config);
  };
  const handler = (ctx: JobContext) =>
    new Promise<{ artifactUri: string; artifactKey: string; gcsUri: null }>((resolve) => {
      started.push(ctx.job.id);
      release.set(ctx.job.id, () =>
        resolve({ artifactUri: `file:///x/${ctx.job.id}`, artifactKey: `k/${ctx.job.id}`, gcsUri: null }),
      );
    });
  const key = async (name: string, maxConcurrentJobs: number | null = null) =>
    (
      await keys.create(
        { name, scope: 'jobs', limits: { ...NO_LIMITS, maxConcurrentJobs } },
        hashKeySecret(newKeySecret()),
      )
    ).id;
  const submit = async (owner: string, prompt: string) => (await queue.submit({ prompt }, { owner })).job.id;
  const status = async (id: string) => (await queue.get(id))?.status;

  afterEach(async () => {
    for (const done of release.values()) done();
    await consumer?.close(0);
    consumer = null;
    started.length = 0;
    release.clear();
    await keys.close();
    await queue.close();
    await Promise.all(schemas.splice(0).map((s) => s.drop()));
  });

  it("keeps a key at its concurrent-job limit waiting while another key's jobs run", async () => {
    open();
    const limited = await key('limited', 1);
    const other = await key('other');
    const a1 = await submit(limited, 'a1');
    const a2 = await submit(limited, 'a2');
    const b1 = await submit(other, 'b1');
    consumer = queue.consume({ concurrency: 3, handler });
    await waitFor(async () => started.includes(a1) && started.includes(b1), { what: 'a1 and b1 to start' });
    // b2 is submitted after a2, yet runs first: a2 waits for its key's running job.
    const b2 = await submit(other, 'b2');
    await waitFor(async () => started.includes(b2), { what: 'b2 to start' });
    expect(started).not.toContain(a2);
    expect(await status(a2)).toBe('queued');
    release.get(a1)!();
    await waitFor(async () => started.includes(a2), { what: 'a2 to start once a1 finished' });
    expect(await status(a1)).toBe('finished');
  });

  it("lets a key's first job in after at most one job of a key with a backlog", async () => {
    open();
    const backlog = await key('backlog');
    const newcomer = await key('newcomer');
    const many: string[] = [];
    for (let i = 0; i < 6; i += 1) many.push(await submit(backlog, `many ${i}`));
    const first = await submit(newcomer, 'first');
    consumer = queue.consume({ concurrency: 1, handler });
    for (let n = 1; n <= 3; n += 1) {
      await waitFor(async () => started.length >= n, { what: `start #${n}` });
      release.get(started[n - 1]!)!();
    }
    expect(started.indexOf(first)).toBeGreaterThanOrEqual(0);
    expect(started.indexOf(first)).toBeLessThanOrEqual(1);
    // The backlog itself still runs oldest first.
    expect(started.filter((id) => many.includes(id))).toEqual(
      many.slice(0, started.filter((id) => many.includes(id)).length),
    );
  });

  it('takes turns among keys and anonymous jobs behind a deep backlog, which still runs oldest first', async () => {
    open();
    const backlog = await key('deep backlog');
    const other = await key('other');
    const deep: string[] = [];
    // Submitted `batch` at a time. On PostgreSQL no more than its pool holds: submissions take turns
    // on the journal head's lock, and one waiting longer than the request path's 2 s for a pooled
    // connection is refused (503, retryable); 200 at once did that on a busy 2-core machine.
    const batch = adapter === 'postgres' ? 10 : 200;
    for (let i = 0; i < 2000; i += batch) {
      deep.push(...(await Promise.all(Array.from({ length: batch }, (_, k) => submit(backlog, `deep ${i + k}`)))));
    }
    // "Oldest" is the order the store took the backlog in, which its queue positions tell. Jobs
    // submitted together have no order of their own: SQLite and Redis take them in call order (one
    // connection), PostgreSQL in whichever order its pooled connections' inserts commit.
    const position = new Map<string, number>();
    for (let i = 0; i < deep.length; i += batch) {
      const slice = deep.slice(i, i + batch);
      const jobs = await Promise.all(slice.map((id) => queue.get(id)));
      jobs.forEach((job, k) => position.set(slice[k]!, job!.queue_position!));
    }
    const called = [...deep];
    deep.sort((a, b) => position.get(a)! - position.get(b)!);
    if (adapter !== 'postgres') expect(deep).toEqual(called);
    const anonymous = (await queue.submit({ prompt: 'no key' })).job.id;
    const keyed = await submit(other, 'other key');
    consumer = queue.consume({ concurrency: 1, handler });
    for (let n = 1; n <= 4; n += 1) {
      await waitFor(async () => started.length >= n, { what: `start #${n}` });
      release.get(started[n - 1]!)!();
    }
    // Three owners with queued jobs: within four claims each has had its turn.
    expect(started.slice(0, 4)).toEqual(expect.arrayContaining([anonymous, keyed]));
    expect(started.filter((id) => deep.includes(id))).toEqual(
      deep.slice(0, started.filter((id) => deep.includes(id)).length),
    );
  });

  it("charges a key's month with the estimates its worker records, and refuses past the budget", async () => {
    open();
    const owner = await key('spender');
    const budget = { month: new Date().toISOString().slice(0, 7), limitUsd: 1 };
    const first = (await queue.submit({ prompt: 'costly' }, { owner, budget, estimatedCostUsd: 0.25 })).job.id;
    consumer = queue.consume({
      concurrency: 1,
      handler: async (ctx) => {
        await ctx.setEstimatedCost(1.5); // planning found it dearer than the submission estimate
        return handler(ctx);
      },
    });
    await waitFor(async () => started.includes(first) && (await queue.get(first))?.estimated_cost_usd === 1.5, {
      what: 'the refined estimate',
    });
    await expect(queue.submit({ prompt: 'one more' }, { owner, budget, estimatedCostUsd: 0 })).rejects.toBeInstanceOf(
      BudgetExceededError,
    );
    // Another key's budget is its own.
    const other = await key('other spender');
    expect((await queue.submit({ prompt: 'fine' }, { owner: other, budget, estimatedCostUsd: 0.5 })).outcome).toBe(
      'created',
    );
  });
});
