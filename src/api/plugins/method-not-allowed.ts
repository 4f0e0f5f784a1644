// 405 MethodNotAllowed with an Allow header for a known path asked with another method: Fastify
// would answer 404, the contract wants 405 + Allow.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors/api-error.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'] as const;

/**
 * Collects routes as they are added; the function it returns, called once every route is in, fills
 * the remaining methods of each path with a 405 route.
 */
export function collectRoutes(app: FastifyInstance, options: { includeOptions: boolean }): () => void {
  // Fastify routes TRACE only once it is declared; without this, TRACE on a known path would be a 404.
  if (!app.supportedMethods.includes('TRACE')) app.addHttpMethod('TRACE');
  // Each path remembers the encapsulated context that registered it, so that its 405 route lives in
  // the same context (same auth hook, same zone headers) as the real ones.
  // `path` is the route's own path inside that context (without the context's prefix), since the
  // 405 route is added through the context and gets its prefix again.
  const byUrl = new Map<string, { methods: Set<string>; context: FastifyInstance; path: string }>();
  app.addHook('onRoute', function collect(this: FastifyInstance, route) {
    if ((route.config as { methodNotAllowed?: boolean } | undefined)?.methodNotAllowed) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const entry = byUrl.get(route.url) ?? {
      methods: new Set<string>(),
      context: this,
      path: route.prefix && route.url.startsWith(route.prefix) ? route.url.slice(route.prefix.length) : route.url,
    };
    for (const m of methods) entry.methods.add(m.toUpperCase());
    byUrl.set(route.url, entry);
  });
  return () => {
    for (const [url, { methods, context, path }] of byUrl) {
      if (url.includes('*')) continue;
      const allowed = [...methods].filter((m) => m !== 'HEAD' || methods.has('GET'));
      const allow = [...new Set(allowed)].join(', ');
      const missing = METHODS.filter((m) => !methods.has(m) && (m !== 'OPTIONS' || options.includeOptions));
      if (missing.length === 0) continue;
      context.route({
        method: missing as unknown as string[],
        url: path,
        config: { methodNotAllowed: true },
        schema: { hide: true },
        // Thrown, not sent: the context's own error handler answers it in that context's envelope.
        handler: async (request) => {
          throw new ApiError(
            'MethodNotAllowed',
            `Method ${request.method} not allowed on this path`,
            { allow: allow.split(', ') },
            { headers: { allow } },
          );
        },
      });
    }
  };
}
