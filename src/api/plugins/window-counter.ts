// Counts hits per client in fixed one-minute windows, each starting at the client's first hit: in
// this process (synchronous, so that the hot path of a request never waits), or in Redis, shared by
// every API process. The rate limiter (rate-limit.ts) and the authentication-failure limit
// (auth-failure-limit.ts) both count with these.
import type { Redis } from 'ioredis';

export const WINDOW_MS = 60_000;
/** Clients tracked at once per process; beyond it the oldest windows go first. */
const MAX_TRACKED = 100_000;

export interface WindowCount {
  count: number;
  /** Milliseconds until the window of this count ends. */
  resetMs: number;
}

export interface WindowCounter {
  /** Counts one hit of `client` at `now`: a plain result in this process, a promise from Redis. */
  add(client: string, now: number): WindowCount | Promise<WindowCount>;
}

/**
 * Sets `key` last in a map whose entries are kept in the order their windows end, so that ended ones
 * sit at the front: they are dropped from there (amortised O(1) per insert), then the oldest live
 * ones while the map is full.
 */
export function setBounded<V extends { until: number }>(map: Map<string, V>, key: string, value: V, now: number): void {
  map.delete(key);
  for (const [k, v] of map) {
    if (v.until > now && map.size < MAX_TRACKED) break;
    map.delete(k);
  }
  map.set(key, value);
}

export class MemoryWindowCounter implements WindowCounter {
  private readonly windows = new Map<string, { count: number; until: number }>();

  add(client: string, now: number): WindowCount {
    const current = this.windows.get(client);
    if (current && current.until > now) {
      current.count += 1;
      return { count: current.count, resetMs: current.until - now };
    }
    setBounded(this.windows, client, { count: 1, until: now + WINDOW_MS }, now);
    return { count: 1, resetMs: WINDOW_MS };
  }
}

// INCR, and start the window's expiry on its first hit; the key's remaining lifetime is the reset.
const ADD_SCRIPT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

type WithWindowAdd = Redis & { ttvWindowAdd(key: string, windowMs: number): Promise<[number, number]> };

export class RedisWindowCounter implements WindowCounter {
  private readonly fallback = new MemoryWindowCounter();
  private readonly redis: WithWindowAdd;

  constructor(
    redis: Redis,
    private readonly prefix: string,
  ) {
    // A defined command is sent as EVALSHA (the script's text only once per connection), since the
    // rate limiter counts every request.
    if (!('ttvWindowAdd' in redis)) redis.defineCommand('ttvWindowAdd', { numberOfKeys: 1, lua: ADD_SCRIPT });
    this.redis = redis as WithWindowAdd;
  }

  async add(client: string, now: number): Promise<WindowCount> {
    try {
      const [count, ttl] = await this.redis.ttvWindowAdd(`${this.prefix}${client}`, WINDOW_MS);
      return { count, resetMs: ttl > 0 ? ttl : WINDOW_MS };
    } catch {
      // Redis away: count in this process rather than stop counting.
      return this.fallback.add(client, now);
    }
  }
}
