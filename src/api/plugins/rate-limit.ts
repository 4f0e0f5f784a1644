// Rate limits per bearer token, else per client address (X-Forwarded-For only from trusted proxies,
// through Fastify's trustProxy): submissions and reads have separate budgets so that polling clients
// are never starved by their own submissions; health, readiness and metrics are exempt.
// Fixed one-minute windows (@fastify/rate-limit): a client may spend a minute's allowance at once.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { ApiError } from '../errors/api-error.js';

export interface RateLimitOptions {
  submitPerMinute: number;
  readPerMinute: number;
}

const EXEMPT = new Set(['/healthz', '/readyz', '/metrics', '/metrics/prometheus', '/openapi.json']);

function group(method: string, url: string): 'submit' | 'read' | null {
  if (EXEMPT.has(url) || url.startsWith('/docs')) return null;
  if (method === 'POST' && url === '/v1/jobs') return 'submit';
  return 'read';
}

/** Who a request counts against: its bearer token (hashed), else its client address. Also caps SSE streams. */
export function clientKey(request: FastifyRequest): string {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ') && auth.length > 7) {
    return `t:${createHash('sha256').update(auth.slice(7).trim()).digest('base64url').slice(0, 22)}`;
  }
  return `ip:${request.ip}`;
}

export async function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): Promise<void> {
  // Must run before the plugin's own onRoute hook, which reads config.rateLimit.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const kind = group(String(methods[0]).toUpperCase(), route.url);
    const config = (route.config ?? {}) as Record<string, unknown>;
    if (kind === null || config.methodNotAllowed) {
      route.config = { ...config, rateLimit: false };
      return;
    }
    route.config = {
      ...config,
      rateLimit: {
        max: kind === 'submit' ? options.submitPerMinute : options.readPerMinute,
        timeWindow: 60_000,
        keyGenerator: (request: FastifyRequest) => `${kind}:${clientKey(request)}`,
      },
    };
  });
  await app.register(rateLimit, {
    global: false,
    hook: 'onRequest',
    addHeadersOnExceeding: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true },
    addHeaders: { 'x-ratelimit-limit': true, 'x-ratelimit-remaining': true, 'x-ratelimit-reset': true, 'retry-after': true },
    errorResponseBuilder: (_request, context) => {
      const retryAfter = Math.max(1, Math.ceil(context.ttl / 1000));
      return new ApiError(429, 'RateLimitExceeded', `Rate limit exceeded: ${context.max} requests per minute`,
        { limit: context.max, window_seconds: 60, retry_after: retryAfter }, true, { 'retry-after': String(retryAfter) });
    },
  });
}
