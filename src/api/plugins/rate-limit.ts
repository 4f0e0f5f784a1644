// Rate limits per API key (the authenticated principal), else per client address (X-Forwarded-For
// only from trusted proxies, through Fastify's trustProxy): submissions and reads have separate
// budgets so that polling clients are never starved by their own submissions; every route of a
// class shares its budget. Which budget a route uses is decided once, when it is registered
// (route-policy.ts): its config.rateClass, else its zone (ops and docs are exempt); a limited route
// gets this module's hook as its own onRequest hook. A key's own rate_limit replaces the configured
// default for both budgets.
// Fixed one-minute windows (window-counter.ts); counters live in Redis or PostgreSQL when given, so
// that limits hold across API processes.
// Hand-written, not @fastify/rate-limit: its per-route hook is async with several awaits per request
// even for in-process counters (a status read is measured against a bare server, bench/RESULTS.md),
// and it kept a counter per route rather than per class.
import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { Redis } from 'ioredis';
import { ApiError } from '../../errors/api-error.js';
import type { RateClass } from './route-policy.js';
import {
  MemoryWindowCounter,
  RedisWindowCounter,
  WINDOW_MS,
  type WindowCount,
  type WindowCounter,
} from './window-counter.js';

export interface RateLimitOptions {
  submitPerMinute: number;
  readPerMinute: number;
  /** Shared counters across API processes. */
  redis?: Redis;
  /** Prefix of the counter keys in Redis. */
  redisPrefix?: string;
  /** Shared counters of another store (PostgreSQL); takes the place of `redis`. */
  counter?: WindowCounter;
}

/** Who is counted (rate limits, SSE stream caps): the principal's key id after authentication, else the client address. */
export function clientKey(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal && principal.keyId !== 'anonymous') return `k:${principal.keyId}`;
  return `ip:${request.ip}`;
}

function refusal(max: number, resetMs: number): ApiError {
  const retryAfter = Math.max(1, Math.ceil(resetMs / 1000));
  return new ApiError(
    'RateLimitExceeded',
    `Rate limit exceeded: ${max} requests per minute`,
    { limit: max, window_seconds: WINDOW_MS / 1000, retry_after: retryAfter },
    { headers: { 'retry-after': String(retryAfter) } },
  );
}

/** Answers within the budget carry its state; a refused one also Retry-After, and 429. */
function verdict(reply: FastifyReply, max: number, { count, resetMs }: WindowCount): ApiError | undefined {
  const reset = String(Math.ceil(resetMs / 1000));
  reply.header('x-ratelimit-limit', String(max)).header('x-ratelimit-reset', reset);
  if (count <= max) {
    reply.header('x-ratelimit-remaining', String(max - count));
    return undefined;
  }
  reply.header('x-ratelimit-remaining', '0');
  return refusal(max, resetMs);
}

/** The route-level onRequest hook of each rate-limit class (route-policy.ts adds it to the limited routes). */
export function rateLimiter(
  options: RateLimitOptions,
): (rateClass: Exclude<RateClass, 'exempt'>) => onRequestHookHandler {
  const counter: WindowCounter =
    options.counter ??
    (options.redis
      ? new RedisWindowCounter(options.redis, options.redisPrefix ?? 'ttv:ratelimit:')
      : new MemoryWindowCounter());
  const hooks = new Map<RateClass, onRequestHookHandler>();
  const hookOf = (rateClass: Exclude<RateClass, 'exempt'>): onRequestHookHandler => {
    const fallback = rateClass === 'submit' ? options.submitPerMinute : options.readPerMinute;
    // Callback-style: with counters in this process a request passes without a promise.
    return function limitRate(request, reply, done) {
      const max = request.principal?.limits.rateLimitPerMinute ?? fallback;
      const counted = counter.add(`${rateClass}:${clientKey(request)}`, Date.now());
      if (!(counted instanceof Promise)) return done(verdict(reply, max, counted));
      counted.then(
        (count) => done(verdict(reply, max, count)),
        (err: unknown) => done(err as Error),
      );
    };
  };
  return (rateClass) => {
    let hook = hooks.get(rateClass);
    if (!hook) hooks.set(rateClass, (hook = hookOf(rateClass)));
    return hook;
  };
}
