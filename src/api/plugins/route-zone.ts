// Which part of the API a route belongs to, decided by the encapsulated Fastify context the route
// was registered in (never by its URL). Every per-route security decision reads the zone from the
// matched route's config: authentication (the v1 context's own onRequest hook), the rate-limit
// class, the Content-Security-Policy and Cache-Control.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';

/**
 * v1: the bearer-protected job API. page: the dashboard. docs: the OpenAPI UI. ops: health,
 * readiness, metrics and the OpenAPI document (never rate-limited). open: everything else at the
 * root (signed /files/ links, the 404 handler).
 */
export type RouteZone = 'v1' | 'page' | 'docs' | 'ops' | 'open';

/** Per-route rate-limit class, set in a route's config; routes without one are 'read' (or exempt in ops/docs). */
export type RateClass = 'submit' | 'read' | 'exempt';

export interface AccessRouteConfig {
  zone?: RouteZone;
  rateClass?: RateClass;
}

const ZONE = Symbol('ttv.routeZone');

/** Marks an encapsulated context (and the contexts it registers) as `zone`. */
export function setZone(instance: FastifyInstance, zone: RouteZone): void {
  // A child context is an Object.create() of its parent: an own property shadows the parent's zone.
  (instance as unknown as Record<symbol, RouteZone>)[ZONE] = zone;
}

/** Stamps every route with the zone of the context that registers it; call before any other onRoute hook reads it. */
export function registerRouteZones(app: FastifyInstance): void {
  setZone(app, 'open');
  app.addHook('onRoute', function stampZone(this: FastifyInstance, route: RouteOptions) {
    const zone = (this as unknown as Record<symbol, RouteZone | undefined>)[ZONE] ?? 'open';
    route.config = { ...(route.config ?? {}), zone } as never;
  });
}

/** The zone of the route the router matched; 'open' for the 404 handler and framework errors. */
export function zoneOf(request: FastifyRequest): RouteZone {
  const config = request.routeOptions?.config as AccessRouteConfig | undefined;
  return config?.zone ?? 'open';
}
