// The submit script's deadline, against a real redis-server: past it (by Redis's own clock) the script
// writes nothing and says by how much it was late; before it, the job is stored. RedisClock's deadline
// lands where Redis's clock will be that far from now, whatever this process's wall clock says.
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { JobScripts, type SubmitArgs } from '../../../src/jobs/redis/redis-scripts.js';
import { RedisClock } from '../../../src/jobs/redis/redis-clock.js';
import { redisClientForFile } from '../../support/redis-server.js';

const redis = redisClientForFile();

async function redisNowMs(): Promise<number> {
  const [s, us] = await redis.client().time();
  return Number(s) * 1000 + Number(us) / 1000;
}

function args(deadlineMs: number): SubmitArgs {
  return {
    id: randomUUID(),
    prompt: 'a deadline',
    requestJson: '{"prompt":"a deadline"}',
    createdAt: new Date().toISOString(),
    estimatedCostUsd: null,
    idempotencyKey: 'key-1',
    requestHash: 'h',
    logLine: 'queued',
    owner: 'owner-1',
    maxQueued: null,
    maxQueuedForOwner: null,
    budgetLimitUsd: null,
    deadlineMs,
  };
}

it('refuses a submission run past its deadline and stores nothing; stores one run in time', async () => {
  const prefix = `ttv-deadline-${randomUUID().slice(0, 8)}:`;
  const scripts = new JobScripts(redis.client(), prefix, 0);
  const late = args((await redisNowMs()) - 250);
  const refused = await scripts.submit(late);
  expect(refused.outcome).toBe('expired');
  expect(refused.outcome === 'expired' && refused.lateMs).toBeGreaterThanOrEqual(250);
  expect(await redis.client().keys(`${prefix}*`)).toEqual([]);

  const inTime = args((await redisNowMs()) + 60_000);
  expect((await scripts.submit(inTime)).outcome).toBe('created');
  expect(await redis.client().exists(`${prefix}job:${inTime.id}`)).toBe(1);
});

it('RedisClock sets deadlines in Redis time: budget 0 is now, a budget is that much later', async () => {
  const clock = new RedisClock(redis.client());
  try {
    const before = await redisNowMs();
    const now = await clock.deadline(0);
    const later = await clock.deadline(60_000);
    const after = await redisNowMs();
    // Never later than Redis's clock (it errs early by the measuring round trip), and not far off.
    expect(now).toBeLessThanOrEqual(after);
    expect(now).toBeGreaterThan(before - 1000);
    expect(later - now).toBeGreaterThanOrEqual(59_000);
    expect(later - now).toBeLessThanOrEqual(61_000);
  } finally {
    clock.close();
  }
});
