// Per-key and global intake limits, on every job store: a key at its queued-jobs cap gets 429
// QueueFull, the store at worker.max_queued_jobs answers 503 QueueFull (both with Retry-After), and
// a submission whose cost estimate would take its key past monthly_budget_usd gets 402
// BudgetExceeded. The app is assembled like `ttv serve` does, with a fixed cost estimate standing in
// for a paid backend's.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { buildApp } from '../../../src/api/app.js';
import { openJobQueue } from '../../../src/jobs/open-job-queue.js';
import { openArtifactStore } from '../../../src/storage/open-artifact-store.js';
import { openKeyStore } from '../../../src/access/open-key-store.js';
import { KeyAuthenticator } from '../../../src/access/key-authenticator.js';
import type { JobQueue } from '../../../src/jobs/job-queue.js';
import type { KeyStore } from '../../../src/access/key-store.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { createKey } from '../../support/api-keys.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from '../../support/postgres.js';

const ESTIMATE_USD = 0.4;

describe.each(['sqlite', 'redis', 'postgres'] as const)('intake limits (%s job store)', (adapter) => {
  let redis: RedisServer | null = null;
  let schema: TestSchema | null = null;
  let dir: string;
  let app: FastifyInstance;
  let queue: JobQueue;
  let keys: KeyStore;
  let url: string;
  let storeArgs: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ttv-limits-'));
    if (adapter === 'redis') redis = await startRedisServer();
    if (adapter === 'postgres') {
      await assertPostgresReachable();
      schema = testPostgresConfig();
    }
    const raw = {
      data_dir: dir,
      logging: { level: 'silent' },
      worker: { max_queued_jobs: 6 },
      security: { require_api_key: true, max_queued_jobs_per_key: 3 },
      ...(redis ? { redis: { url: redis.url, key_prefix: `limits-${randomUUID().slice(0, 8)}` } } : {}),
      ...(schema ? { postgres: schema.config } : {}),
    };
    const config = configSchema.parse(raw);
    storeArgs = ['--data-dir', dir, ...(redis || schema ? ['--config', await writeConfig(dir, raw)] : [])];
    queue = openJobQueue(config);
    keys = openKeyStore(config);
    app = await buildApp({
      config,
      queue,
      store: await openArtifactStore(config),
      estimateCost: () => ESTIMATE_USD,
      authenticator: new KeyAuthenticator({ token: null, keys, requireKey: true }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    await app?.close();
    await keys?.close();
    await queue?.close();
    await redis?.stop();
    await schema?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const submit = (secret: string, prompt: string) =>
    fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify({ prompt }),
    });

  it("answers 429 QueueFull at the key's cap, 402 BudgetExceeded past its budget, 503 QueueFull at the global cap", async () => {
    const busy = await createKey(storeArgs, 'busy');
    const thrifty = await createKey(storeArgs, 'thrifty', ['--monthly-budget-usd', '1']);
    const late = await createKey(storeArgs, 'late');

    for (let i = 0; i < 3; i += 1) expect((await submit(busy.secret, `busy ${i}`)).status).toBe(202);
    const capped = await submit(busy.secret, 'busy 3');
    expect(capped.status).toBe(429);
    expect(Number(capped.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await capped.json()).toMatchObject({
      error: 'QueueFull',
      retryable: true,
      details: { scope: 'owner', queued: 3, limit: 3 },
    });

    // 0.4 + 0.4 fits a 1 USD budget; a third 0.4 does not.
    expect((await submit(thrifty.secret, 'thrifty 0')).status).toBe(202);
    expect((await submit(thrifty.secret, 'thrifty 1')).status).toBe(202);
    const broke = await submit(thrifty.secret, 'thrifty 2');
    expect(broke.status).toBe(402);
    const body = (await broke.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      error: 'BudgetExceeded',
      retryable: false,
      details: { monthly_budget_usd: 1, estimated_cost_usd: ESTIMATE_USD },
    });
    expect((body.details as { spent_usd: number }).spent_usd).toBeCloseTo(0.8, 6);

    // The sixth queued job fills the store: then the global cap answers 503 to anyone.
    expect((await submit(late.secret, 'late 0')).status).toBe(202);
    const full = await submit(late.secret, 'late 1');
    expect(full.status).toBe(503);
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await full.json()).toMatchObject({
      error: 'QueueFull',
      retryable: true,
      details: { scope: 'global', queued: 6, limit: 6 },
    });

    // Canceling frees room: the key's cap and the global cap count queued jobs only.
    const listed = (await (
      await fetch(`${url}/v1/jobs?status=queued`, { headers: { authorization: `Bearer ${busy.secret}` } })
    ).json()) as { jobs: { id: string }[] };
    expect(listed.jobs).toHaveLength(3);
    await fetch(`${url}/v1/jobs/${listed.jobs[0]!.id}/cancel`, {
      method: 'POST',
      headers: { authorization: `Bearer ${busy.secret}` },
    });
    expect((await submit(busy.secret, 'busy again')).status).toBe(202);
  });
});

async function writeConfig(dir: string, raw: Record<string, unknown>): Promise<string> {
  const { writeFile } = await import('node:fs/promises');
  const file = join(dir, 'ttv.json.yaml');
  await writeFile(file, JSON.stringify(raw)); // JSON is YAML
  return file;
}
