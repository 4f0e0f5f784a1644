// Failed authentication per client address: a presented key that is unknown or revoked counts one
// failure for the address (request.ip: X-Forwarded-For only from security.trusted_proxies, through
// Fastify's trustProxy; an IPv6 client counts by its /64, which one host usually holds whole). Past
// security.auth_failures_per_minute in a fixed one-minute window, every presented key from that
// address is answered 429 without being looked at, until the window ends: a guess that happens to be
// right must not tell itself apart from a wrong one. A missing Authorization header is not a guess
// and is not counted; a successful authentication is not counted.
// Hand-written: @fastify/rate-limit counts every request of a route, not the failed ones only.
// The counter (window-counter.ts) lives in Redis or PostgreSQL when one is configured (shared by API processes);
// each process keeps the lockouts it has seen locally, so the authenticated hot path never waits on
// a counter.
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/api-error.js';
import { MemoryWindowCounter, setBounded, WINDOW_MS, type WindowCounter } from './window-counter.js';

/** The address a failure is counted against: IPv4 as is, IPv6 by its /64. */
export function failureClient(ip: string): string {
  const bare = ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (isIP(bare) !== 6) return bare;
  const [head = '', tail = ''] = bare.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = bare.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class AuthFailureLimit {
  private readonly lockouts = new Map<string, { until: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly counter: WindowCounter = new MemoryWindowCounter(),
    private readonly clock: () => number = Date.now,
  ) {}

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
    setBounded(this.lockouts, client, { until: now + resetMs }, now);
    throw this.refusal(resetMs);
  }

  private refusal(leftMs: number): ApiError {
    const retryAfter = Math.max(1, Math.ceil(leftMs / 1000));
    return new ApiError(
      'RateLimitExceeded',
      `Too many failed authentication attempts from your address: ${this.perMinute} per minute; retry in ${retryAfter} s`,
      {
        limit: this.perMinute,
        window_seconds: WINDOW_MS / 1000,
        retry_after: retryAfter,
        reason: 'authentication_failures',
      },
      { headers: { 'retry-after': String(retryAfter) } },
    );
  }
}
