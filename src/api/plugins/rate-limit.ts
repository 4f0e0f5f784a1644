// Rate limits per API key (the authenticated principal), else per client address (X-Forwarded-For
// only from trusted proxies, through Fastify's trustProxy): submissions and reads have separate
// budgets so that polling clients are never starved by their own submissions. Which budget a route
// uses comes from the matched route: its config.rateClass, else its zone (ops and docs are exempt).
// A key's own rate_limit replaces the configured default for both budgets.
// Fixed one-minute windows (@fastify/rate-limit); counters live in Redis when a client is given, so
// that limits hold across API processes.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import { ApiError } from '../../errors/api-error.js';
import type { AccessRouteConfig, RateClass } from './route-zone.js';

export interface RateLimitOptions {
  submitPerMinute: number;
  readPerMinute: number;
  /** Shared counters across API processes. */
  redis?: Redis;
  /** Prefix of the counter keys in Redis. */
  redisPrefix?: string;
}

function classOf(config: AccessRouteConfig & { methodNotAllowed?: boolean }): RateClass {
  if (config.methodNotAllowed) return 'exempt';
  if (config.rateClass) return config.rateClass;
  return config.zone === 'ops' || config.zone === 'docs' ? 'exempt' : 'read';
}

/** Who is counted (rate limits, SSE stream caps): the principal's key id after authentication, else the client address. */
export function clientKey(request: FastifyRequest): string {
  const principal = request.principal;
  if (principal && principal.keyId !== 'anonymous') return `k:${principal.keyId}`;
  return `ip:${request.ip}`;
}

export async function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  // Runs after the zone stamp (route-zone.ts) and before the plugin's own onRoute hook, which reads config.rateLimit.
  app.addHook('onRoute', (route: RouteOptions) => {
    const config = (route.config ?? {}) as AccessRouteConfig & Record<string, unknown>;
    const kind = classOf(config);
    if (kind === 'exempt') {
      route.config = { ...config, rateLimit: false } as never;
      return;
    }
    const fallback = kind === 'submit' ? options.submitPerMinute : options.readPerMinute;
    route.config = {
      ...config,
      rateLimit: {
        max: (request: FastifyRequest) => request.principal?.limits.rateLimitPerMinute ?? fallback,
        timeWindow: 60_000,
        // One counter per class across its routes: a client's reads share one budget.
        groupId: kind,
        keyGenerator: (request: FastifyRequest) => `${kind}:${clientKey(request)}`,
      },
    } as never;
  });
  await app.register(rateLimit, {
    global: false,
    hook: 'onRequest',
    ...(options.redis ? { redis: options.redis, nameSpace: options.redisPrefix ?? 'ttv:ratelimit:', skipOnError: true } : {}),
    addHeadersOnExceeding: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true },
    addHeaders: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true, 'retry-after': true },
    errorResponseBuilder: (_request, context) => {
      const retryAfter = Math.max(1, Math.ceil(context.ttl / 1000));
      return new ApiError('RateLimitExceeded', `Rate limit exceeded: ${context.max} requests per minute`,
        { limit: context.max, window_seconds: 60, retry_after: retryAfter }, { headers: { 'retry-after': String(retryAfter) } });
    },
  });
}
