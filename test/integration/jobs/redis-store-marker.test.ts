// The data-loss marker against a real redis-server: written at first start, remembered in the data
// dir, and a store that lost it (or carries another instance's) is reported once per loss, to every
// process, until an operator clears it.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStoreMarker } from '../../../src/jobs/redis/redis-store-marker.js';
import type { StoreWarning } from '../../../src/jobs/job-queue.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';

let redis: RedisServer;
let client: Redis;
let dir: string;
beforeAll(async () => {
  redis = await startRedisServer();
  client = new Redis(redis.url);
  dir = await mkdtemp(join(tmpdir(), 'ttv-marker-'));
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

function marker(key: string, memoryFile: string | null, lost: StoreWarning[] = []) {
  return new RedisStoreMarker({
    redis: client,
    key,
    storeId: `test ${key}`,
    memoryFile,
    onDataLost: (w) => lost.push(w),
  });
}

describe('Redis data-loss marker', () => {
  it('writes the marker at first start, remembers it, and reports a loss once, to every process, until cleared', async () => {
    const key = `ttv-${randomUUID().slice(0, 8)}:meta`;
    const file = join(dir, `${randomUUID()}.json`);
    const lost: StoreWarning[] = [];
    const first = marker(key, file, lost);
    expect(await first.check()).toBeNull();
    const meta = await client.hgetall(key);
    expect(meta.instance_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(meta.created_at!)).not.toBeNaN();
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ [`test ${key}`]: meta.instance_id });

    await client.del(key); // what a restart without persistence leaves
    const warning = await first.check();
    expect(warning).toMatchObject({
      reason: 'job_store_data_lost',
      message: expect.stringContaining('appendonly yes'),
    });
    expect(await first.check()).toEqual(warning);
    expect(lost).toHaveLength(1); // one error line per loss, not per check
    const after = await client.hgetall(key);
    expect(after.instance_id).not.toBe(meta.instance_id);
    expect(after.previous_instance_id).toBe(meta.instance_id);

    // Another process, with no memory of its own, sees the same warning through the shared marker.
    expect(await marker(key, null).check()).toMatchObject({ reason: 'job_store_data_lost', since: warning!.since });

    // Cleared by the operator: gone for everyone, and not raised again for the same loss.
    await client.hdel(key, 'data_lost_at');
    expect(await first.check()).toBeNull();
    expect(await marker(key, file).check()).toBeNull();
  });

  it('reports a loss noticed at start from the data dir memory, and a marker that names another instance', async () => {
    const key = `ttv-${randomUUID().slice(0, 8)}:meta`;
    const file = join(dir, `${randomUUID()}.json`);
    expect(await marker(key, file).check()).toBeNull();
    // Redis loses everything while ttv is down, and a fresh process elsewhere (no memory) starts first.
    await client.del(key);
    expect(await marker(key, null).check()).toBeNull(); // to it, this is a first start
    // The process that remembers the old instance notices: the marker now names another one.
    const lost: StoreWarning[] = [];
    expect(await marker(key, file, lost).check()).toMatchObject({ reason: 'job_store_data_lost' });
    expect(lost).toHaveLength(1);
  });
});
