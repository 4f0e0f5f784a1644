// Which part of the API a route belongs to, decided by the encapsulated Fastify context the route
// was registered in (never by its URL). Every per-route security decision follows from the zone of
// the matched route (route-policy.ts): authentication (the v1 context's own onRequest hook), the
// rate-limit class, the Content-Security-Policy and Cache-Control.
import type { FastifyInstance, FastifyRequest } from 'fastify';

/**
 * v1: the bearer-protected job API. page: the dashboard. docs: the OpenAPI UI. ops: health,
 * readiness, metrics and the OpenAPI document (never rate-limited). open: everything else at the
 * root (signed /files/ links, the 404 handler).
 */
export type RouteZone = 'v1' | 'page' | 'docs' | 'ops' | 'open';

const ZONE = Symbol('ttv.routeZone');

/** Marks an encapsulated context (and the contexts it registers) as `zone`. */
export function setZone(instance: FastifyInstance, zone: RouteZone): void {
  // A child context is an Object.create() of its parent: an own property shadows the parent's zone.
  (instance as unknown as Record<symbol, RouteZone>)[ZONE] = zone;
}

/** The zone of an encapsulated context ('open' unless it or a parent was marked). */
export function contextZone(instance: FastifyInstance): RouteZone {
  return (instance as unknown as Record<symbol, RouteZone | undefined>)[ZONE] ?? 'open';
}

/** The zone of the route the router matched (from its policy); 'open' for the 404 handler and framework errors. */
export function zoneOf(request: FastifyRequest): RouteZone {
  return (request.routeOptions.config as { policy?: { zone: RouteZone } } | undefined)?.policy?.zone ?? 'open';
}
