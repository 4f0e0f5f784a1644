// The Redis record TTL follows the retention window unless configured: one day longer than
// retention.jobs_days, so the sweep (which also deletes the artifact) always comes first.
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { redisJobTtlSeconds } from '../../../src/jobs/open-job-queue.js';

const ttl = (raw: Record<string, unknown>) => redisJobTtlSeconds(configSchema.parse({ redis: {}, ...raw }));

describe('redis.job_ttl_seconds', () => {
  it('defaults to retention.jobs_days plus one day', () => {
    expect(ttl({})).toBe(31 * 24 * 3600);
    expect(ttl({ retention: { jobs_days: 7 } })).toBe(8 * 24 * 3600);
  });
  it('is off when jobs are kept forever, and a configured value wins', () => {
    expect(ttl({ retention: { jobs_days: 0 } })).toBe(0);
    expect(ttl({ redis: { job_ttl_seconds: 3600 } })).toBe(3600);
  });
});
