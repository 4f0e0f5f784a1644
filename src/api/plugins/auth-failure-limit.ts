// Failed authentication per client address: a presented key that is unknown or revoked counts one
// failure for the address (request.ip: X-Forwarded-For only from security.trusted_proxies, through
// Fastify's trustProxy; an IPv6 client counts by its /64, which one host usually holds whole). Past
// security.auth_failures_per_minute in a fixed one-minute window, every presented key from that
// address is answered 429 without being looked at, until the window ends: a guess that happens to be
// right must not tell itself apart from a wrong one. A missing Authorization header is not a guess
// and is not counted; a successful authentication is not counted.
// Hand-written: @fastify/rate-limit counts every request of a route, not the failed ones only.
// The counter lives in Redis when one is configured (shared by API processes); each process keeps the
// lockouts it has seen locally, so the authenticated hot path never waits on a counter.
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { ApiError } from '../../errors/api-error.js';

const WINDOW_MS = 60_000;
/** Addresses tracked at once per process; beyond it the oldest entries go first. */
const MAX_TRACKED = 100_000;

export interface FailureCount {
  count: number;
  /** Milliseconds until the window of this count ends. */
  resetMs: number;
}

/** Counts failures per client in fixed windows. */
export interface FailureCounter {
  add(client: string, now: number): Promise<FailureCount>;
}

/** Bounded maps whose oldest entries are dropped first (expired ones before live ones). */
function boundedSet<V extends { until: number }>(map: Map<string, V>, key: string, value: V, now: number): void {
  map.delete(key);
  if (map.size >= MAX_TRACKED) {
    for (const [k, v] of map) if (v.until <= now) map.delete(k);
    while (map.size >= MAX_TRACKED) map.delete(map.keys().next().value!);
  }
  map.set(key, value);
}

export class MemoryFailureCounter implements FailureCounter {
  private readonly windows = new Map<string, { count: number; until: number }>();

  async add(client: string, now: number): Promise<FailureCount> {
    const current = this.windows.get(client);
    if (current && current.until > now) {
      current.count += 1;
      return { count: current.count, resetMs: current.until - now };
    }
    boundedSet(this.windows, client, { count: 1, until: now + WINDOW_MS }, now);
    return { count: 1, resetMs: WINDOW_MS };
  }
}

// INCR, and start the window's expiry on its first failure; the key's remaining lifetime is the reset.
const ADD_SCRIPT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}`;

export class RedisFailureCounter implements FailureCounter {
  private readonly fallback = new MemoryFailureCounter();
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  async add(client: string, now: number): Promise<FailureCount> {
    try {
      const [count, ttl] = (await this.redis.eval(ADD_SCRIPT, 1, `${this.prefix}${client}`, String(WINDOW_MS))) as [number, number];
      return { count, resetMs: ttl > 0 ? ttl : WINDOW_MS };
    } catch {
      // Redis away: count in this process rather than stop counting.
      return this.fallback.add(client, now);
    }
  }
}

/** The address a failure is counted against: IPv4 as is, IPv6 by its /64. */
export function failureClient(ip: string): string {
  const bare = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (isIP(bare) !== 6) return bare;
  const [head = '', tail = ''] = bare.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = bare.includes('::') ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

export class AuthFailureLimit {
  private readonly lockouts = new Map<string, { until: number }>();

  constructor(private readonly perMinute: number, private readonly counter: FailureCounter = new MemoryFailureCounter(), private readonly clock: () => number = Date.now) {}

  /** Throws 429 when the request's address is locked out (call before looking at its key). */
  assertNotLockedOut(request: FastifyRequest): void {
    const client = failureClient(request.ip);
    const lockout = this.lockouts.get(client);
    if (!lockout) return;
    const left = lockout.until - this.clock();
    if (left <= 0) {
      this.lockouts.delete(client);
      return;
    }
    throw this.refusal(left);
  }

  /** Counts a failed authentication; throws 429 once the address is past its budget. */
  async recordFailure(request: FastifyRequest): Promise<void> {
    const client = failureClient(request.ip);
    const now = this.clock();
    const { count, resetMs } = await this.counter.add(client, now);
    if (count <= this.perMinute) return;
    boundedSet(this.lockouts, client, { until: now + resetMs }, now);
    throw this.refusal(resetMs);
  }

  private refusal(leftMs: number): ApiError {
    const retryAfter = Math.max(1, Math.ceil(leftMs / 1000));
    return new ApiError('RateLimitExceeded', `Too many failed authentication attempts from your address: ${this.perMinute} per minute; retry in ${retryAfter} s`,
      { limit: this.perMinute, window_seconds: WINDOW_MS / 1000, retry_after: retryAfter, reason: 'authentication_failures' },
      { headers: { 'retry-after': String(retryAfter) } });
  }
}
