// Headers on every response, errors included. The per-route ones (CSP kind,
// Cache-Control on the job API) follow the zone of the matched route (route-zone.ts), not its URL;
// each route's set is picked once, at startup (route-policy.ts), and set by request-policy.ts.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { zoneOf, type RouteZone } from './route-zone.js';

const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
// The dashboard and the docs page load their own scripts and styles, and play videos from this origin.
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
const DOCS_CSP =
  "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'";

export interface SecurityHeaderOptions {
  altSvc: string | null;
}

function fixedHeaders(zone: RouteZone, secure: boolean, options: SecurityHeaderOptions): Record<string, string> {
  const headers: Record<string, string> = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    // 0, not the Python server's `1; mode=block`: the old browsers' XSS auditor that header turns on
    // could itself be used to leak page content; current guidance is to disable it (CSP protects).
    'x-xss-protection': '0',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'x-permitted-cross-domain-policies': 'none',
    'content-security-policy': zone === 'page' ? PAGE_CSP : zone === 'docs' ? DOCS_CSP : API_CSP,
  };
  if (secure) headers['strict-transport-security'] = 'max-age=31536000; includeSubDomains';
  if (zone === 'v1') {
    // The Python server's values, which old HTTP/1.0 caches and proxies also honour.
    headers['cache-control'] = 'no-cache, no-store, must-revalidate';
    headers.pragma = 'no-cache';
    headers.expires = '0';
  }
  if (secure && options.altSvc) headers['alt-svc'] = options.altSvc;
  return headers;
}

export type FixedHeaders = Readonly<Record<string, string>>;

/**
 * The fixed headers per zone, [plain HTTP, HTTPS], built once: they depend on nothing else, and every
 * response carries them (building the object per response was measurable in the status-read benchmark).
 */
export function fixedHeaderSets(
  options: SecurityHeaderOptions,
): Readonly<Record<RouteZone, readonly [FixedHeaders, FixedHeaders]>> {
  const build = (zone: RouteZone) =>
    Object.freeze([
      Object.freeze(fixedHeaders(zone, false, options)),
      Object.freeze(fixedHeaders(zone, true, options)),
    ] as const);
  return Object.freeze({
    v1: build('v1'),
    page: build('page'),
    docs: build('docs'),
    ops: build('ops'),
    open: build('open'),
  });
}

/**
 * The fixed headers of an answer written straight to a socket, outside Fastify (a request the HTTP
 * parser refused, a connection over the cap): those of an unmatched route, and never cached.
 */
export function rawAnswerHeaders(secure: boolean): Record<string, string> {
  return { ...fixedHeaders('open', secure, { altSvc: null }), 'cache-control': 'no-store' };
}

/** The headers every response carries, for hooks and for streams that write their own head. */
export function securityHeaders(request: FastifyRequest, options: SecurityHeaderOptions): Record<string, string> {
  return {
    'x-request-id': request.id,
    'x-correlation-id': request.id,
    ...fixedHeaders(zoneOf(request), request.protocol === 'https', options),
  };
}

/** Sets the request id and a route's fixed headers on an answer (after its handler: these win). */
export function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply, headers: FixedHeaders): void {
  reply.header('x-request-id', request.id).header('x-correlation-id', request.id);
  for (const name in headers) reply.header(name, headers[name]);
}
