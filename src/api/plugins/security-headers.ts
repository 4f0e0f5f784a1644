// Headers on every response, errors included (DESIGN.md §3).
import type { FastifyInstance } from 'fastify';

const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
// The dashboard and the docs page load their own scripts and styles, and play videos from this origin.
const PAGE_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
const DOCS_CSP = "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'";

export function registerSecurityHeaders(app: FastifyInstance, options: { altSvc: string | null }): void {
  // Callback-style hook: cheaper than an async one on every response.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    reply.header('x-correlation-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'strict-origin-when-cross-origin');
    reply.header('x-permitted-cross-domain-policies', 'none');
    const path = request.url.split('?', 1)[0] ?? '/';
    const csp = path === '/' || path.startsWith('/web/') ? PAGE_CSP : path.startsWith('/docs') ? DOCS_CSP : API_CSP;
    reply.header('content-security-policy', csp);
    const secure = request.protocol === 'https';
    if (secure) reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    if (path.startsWith('/v1/')) {
      reply.header('cache-control', 'no-store');
      reply.header('pragma', 'no-cache');
    }
    if (secure && options.altSvc) reply.header('alt-svc', options.altSvc);
    done(null, payload);
  });
}
