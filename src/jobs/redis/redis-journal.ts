// The store-wide journal on Redis: the stream "<prefix>journal", which the Lua event() helper
// (redis-scripts.ts) appends to in the same script as each job's own stream, trimmed to about
// JOURNAL_MAXLEN entries. Followers keep their cursor and counters in a hash, their lease in a
// key set with NX PX and renewed, and remembered payloads in a second hash.
import type { Redis } from 'ioredis';
import { InvalidCursorError } from '../../errors/invalid-cursor-error.js';
import type { QueueKeys } from './queue-keys.js';
import type { FollowerCommit, FollowerState, JobJournal, JournalEntry, JournalFollower } from '../job-journal.js';

/** KEYS: follower hash, journal stream. ARGV: fromStart (0|1). An empty cursor means "from the start". */
const INIT = `
if redis.call('HEXISTS', KEYS[1], 'cursor') == 1 then return 0 end
local cursor = ''
if ARGV[1] == '0' then
  local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
  cursor = last[1] and last[1][1] or '0-0'
end
redis.call('HSET', KEYS[1], 'cursor', cursor)
return 1
`;

/** KEYS: follower hash, lease, memos. ARGV: expected, next, owner|'', counter count, (name, n)*, forget keys* */
const COMMIT = `
local cursor = redis.call('HGET', KEYS[1], 'cursor') or ''
if cursor ~= ARGV[1] then return 0 end
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
redis.call('HSET', KEYS[1], 'cursor', ARGV[2])
local n = tonumber(ARGV[4])
for i = 0, n - 1 do
  redis.call('HINCRBY', KEYS[1], 'c:' .. ARGV[5 + 2 * i], ARGV[6 + 2 * i])
end
for i = 5 + 2 * n, #ARGV do redis.call('HDEL', KEYS[3], ARGV[i]) end
return 1
`;

/** KEYS: lease. ARGV: owner, ttlMs → 1 held | 0 held by another */
const LEASE = `
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not holder then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
`;

/** KEYS: lease. ARGV: owner */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

interface JournalCommands {
  ttvJournalInit(hash: string, stream: string, fromStart: string): Promise<number>;
  ttvJournalCommit(hash: string, lease: string, memos: string, ...args: (string | number)[]): Promise<number>;
  ttvJournalLease(lease: string, owner: string, ttlMs: number): Promise<number>;
  ttvJournalRelease(lease: string, owner: string): Promise<number>;
}

export class RedisJournal implements JobJournal {
  private readonly commands: JournalCommands;

  constructor(private readonly redis: Redis, private readonly keys: QueueKeys, private readonly guard: <T>(fn: () => Promise<T>) => Promise<T>) {
    redis.defineCommand('ttvJournalInit', { numberOfKeys: 2, lua: INIT });
    redis.defineCommand('ttvJournalCommit', { numberOfKeys: 3, lua: COMMIT });
    redis.defineCommand('ttvJournalLease', { numberOfKeys: 1, lua: LEASE });
    redis.defineCommand('ttvJournalRelease', { numberOfKeys: 1, lua: RELEASE });
    this.commands = redis as unknown as JournalCommands;
  }

  get stream(): string {
    return this.keys.journal;
  }

  async journal(after: string | null, limit: number): Promise<JournalEntry[]> {
    if (after !== null && !/^\d{1,15}-\d{1,10}$/.test(after)) throw new InvalidCursorError();
    return this.guard(async () => {
      const entries = await this.redis.xrange(this.stream, after === null ? '-' : `(${after}`, '+', 'COUNT', limit);
      return entries.map(([id, fields]) => {
        const map = new Map<string, string>();
        for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
        return {
          id,
          jobId: map.get('job') ?? '',
          eventId: map.get('n') ?? '',
          type: map.get('type') as JournalEntry['type'],
          data: JSON.parse(map.get('data') ?? '{}') as Record<string, unknown>,
          at: Number(id.split('-', 1)[0]),
        };
      });
    });
  }

  follower(name: string): JournalFollower {
    const keys = this.keys.follower(name);
    const { redis, commands, guard, stream } = this;
    return {
      async init(fromStart) {
        await guard(() => commands.ttvJournalInit(keys.hash, stream, fromStart ? '1' : '0'));
      },
      async state(): Promise<FollowerState> {
        const all = await guard(() => redis.hgetall(keys.hash));
        const counters: Record<string, number> = {};
        for (const [field, value] of Object.entries(all)) if (field.startsWith('c:')) counters[field.slice(2)] = Number(value);
        return { cursor: all.cursor ? all.cursor : null, counters };
      },
      async commit(expected, next, options: FollowerCommit = {}) {
        const increments = Object.entries(options.increments ?? {});
        const args: (string | number)[] = [expected ?? '', next, options.owner ?? '', increments.length, ...increments.flat(), ...(options.forget ?? [])];
        return (await guard(() => commands.ttvJournalCommit(keys.hash, keys.lease, keys.memos, ...args))) === 1;
      },
      async lease(owner, ttlMs) {
        return (await guard(() => commands.ttvJournalLease(keys.lease, owner, ttlMs))) === 1;
      },
      async release(owner) {
        await guard(() => commands.ttvJournalRelease(keys.lease, owner));
      },
      async remember(key, value) {
        await guard(() => redis.hsetnx(keys.memos, key, value));
      },
      async recall(key) {
        return guard(() => redis.hget(keys.memos, key));
      },
    };
  }
}
