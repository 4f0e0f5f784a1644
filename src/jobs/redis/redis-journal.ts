// The store-wide journal on Redis: the stream "<prefix>:journal", which the Lua event() helper
// (lua/common.lua) appends to in the same script as each job's own stream, trimmed to about
// JOURNAL_MAXLEN (redis-scripts.ts) entries. Followers keep their cursor and counters in a hash, their lease in a
// key set with NX PX and renewed, and remembered payloads in a second hash.
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { InvalidCursorError } from '../../errors/invalid-cursor-error.js';
import type { QueueKeys } from './queue-keys.js';
import type { FollowerCommit, FollowerState, JobJournal, JournalEntry, JournalFollower } from '../job-journal.js';

// The follower scripts, in lua/ beside the job store's (named for their key count).
const readLua = (name: string) => readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
const INIT = readLua('journal-init-2');
const COMMIT = readLua('journal-commit-3');
const LEASE = readLua('journal-lease-1');
const RELEASE = readLua('journal-release-1');

interface JournalCommands {
  ttvJournalInit(hash: string, stream: string, fromStart: string): Promise<number>;
  ttvJournalCommit(hash: string, lease: string, memos: string, ...args: (string | number)[]): Promise<number>;
  ttvJournalLease(lease: string, owner: string, ttlMs: number): Promise<number>;
  ttvJournalRelease(lease: string, owner: string): Promise<number>;
}

export class RedisJournal implements JobJournal {
  private readonly commands: JournalCommands;

  constructor(
    private readonly redis: Redis,
    private readonly keys: QueueKeys,
    private readonly guard: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {
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
        for (const [field, value] of Object.entries(all))
          if (field.startsWith('c:')) counters[field.slice(2)] = Number(value);
        return { cursor: all.cursor ? all.cursor : null, counters };
      },
      async commit(expected, next, options: FollowerCommit = {}) {
        const increments = Object.entries(options.increments ?? {});
        const args: (string | number)[] = [
          expected ?? '',
          next,
          options.owner ?? '',
          increments.length,
          ...increments.flat(),
          ...(options.forget ?? []),
        ];
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
      async put(key, value) {
        await guard(() => redis.hset(keys.memos, key, value));
      },
      async recall(key) {
        return guard(() => redis.hget(keys.memos, key));
      },
    };
  }
}
