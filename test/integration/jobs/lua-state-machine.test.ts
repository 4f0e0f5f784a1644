// The Lua guards are the state machine of job-state.ts: for every pair of statuses, the `can(from, to)`
// that every script runs inside Redis answers exactly what canTransition answers in TypeScript; and
// the key builders every script gets (K) build exactly the keys QueueKeys builds in TypeScript.
import { expect, it } from 'vitest';
import { JOB_STATUSES, type JobStatus } from '../../../src/jobs/job.js';
import { LEASED_STATUSES, canTransition, sourcesOf } from '../../../src/jobs/job-state.js';
import { withCommon } from '../../../src/jobs/redis/redis-scripts.js';
import { KEY_TEMPLATES, QueueKeys, type KeyName } from '../../../src/jobs/redis/queue-keys.js';
import { redisClientForFile } from '../../support/redis-server.js';

const redis = redisClientForFile();

it('can(from, to) in Lua equals canTransition for all 36 pairs, and leased() equals LEASED_STATUSES', async () => {
  const script = withCommon(`
    local out = {}
    for i = 1, #ARGV, 2 do out[#out + 1] = can(ARGV[i], ARGV[i + 1]) and 1 or 0 end
    return out`);
  const pairs = JOB_STATUSES.flatMap((from) => JOB_STATUSES.map((to) => [from, to] as [JobStatus, JobStatus]));
  const lua = (await redis.client().eval(script, 1, 'ttv-check:', ...pairs.flat())) as number[];
  expect(lua.map((v, i) => [...pairs[i]!, v === 1])).toEqual(
    pairs.map(([from, to]) => [from, to, canTransition(from, to)]),
  );
  // The forbidden ones the issue names, spelled out.
  expect(canTransition('queued', 'failed')).toBe(false);
  for (const to of JOB_STATUSES) expect(canTransition('finished', to)).toBe(false);
  const leased = (await redis
    .client()
    .eval(
      withCommon('local out = {} for i, s in ipairs(ARGV) do out[i] = leased(s) and 1 or 0 end return out'),
      1,
      'ttv-check:',
      ...JOB_STATUSES,
    )) as number[];
  expect(JOB_STATUSES.filter((_, i) => leased[i] === 1)).toEqual([...LEASED_STATUSES]);
  // A lease holder may finish or fail exactly from the leased statuses.
  expect(sourcesOf('finished')).toEqual([...LEASED_STATUSES]);
  expect(sourcesOf('failed')).toEqual([...LEASED_STATUSES]);
});

it('K.<name>(parts…) in Lua builds the same key as QueueKeys.key(name, parts…), for every key name', async () => {
  const keys = new QueueKeys('{ttv-check}');
  const names = Object.keys(KEY_TEMPLATES) as KeyName[];
  const calls = names.map((name) => {
    const parts = (KEY_TEMPLATES[name].match(/\{\w+\}/g) ?? []).map((_, i) => `part-${i + 1}`);
    return { name, parts };
  });
  const script = withCommon(`
    local out, i = {}, 1
    while i <= #ARGV do
      local build, n = K[ARGV[i]], tonumber(ARGV[i + 1])
      if n == 0 then out[#out + 1] = build else out[#out + 1] = build(unpack(ARGV, i + 2, i + 1 + n)) end
      i = i + 2 + n
    end
    return out`);
  const lua = (await redis
    .client()
    .eval(script, 1, keys.root, ...calls.flatMap((c) => [c.name, String(c.parts.length), ...c.parts]))) as string[];
  expect(lua).toEqual(calls.map((c) => keys.key(c.name, ...c.parts)));
  // The named getters are the same keys.
  expect([keys.job('a'), keys.ownerStatus('o', 'queued'), keys.ready, keys.follower('w').memos]).toEqual([
    '{ttv-check}:job:a',
    '{ttv-check}:owner:o:status:queued',
    '{ttv-check}:ready',
    '{ttv-check}:follower:w:memos',
  ]);
});
