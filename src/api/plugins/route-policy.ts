// What each route is, decided once, when it is registered, from the encapsulated Fastify context
// that registers it (route-zone.ts; never from its URL): its zone, its rate-limit class, the fixed
// headers of its answers and its metrics label. Kept in the route's config, where the request hooks
// (request-policy.ts) find it instead of working it out again on every request; a limited route
// also gets its rate-limit hook here, as a hook of that route alone.
import type { FastifyInstance, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import { contextZone, setZone, type RouteZone } from './route-zone.js';
import { fixedHeaderSets, type FixedHeaders, type SecurityHeaderOptions } from './security-headers.js';

/** Per-route rate-limit class, set in a route's config; routes without one are 'read' (or exempt in ops/docs). */
export type RateClass = 'submit' | 'read' | 'exempt';

/** What a route may say about itself in its config. */
export interface AccessRouteConfig {
  rateClass?: RateClass;
  /** The 405 answer of a known path (method-not-allowed.ts): never rate-limited. */
  methodNotAllowed?: boolean;
}

export interface RoutePolicy {
  readonly zone: RouteZone;
  readonly rateClass: RateClass;
  /** The router's pattern of the route, its metrics label; "unmatched" for the 404 handler. */
  readonly route: string;
  /** The fixed headers of its answers: [plain HTTP, HTTPS]. */
  readonly headers: readonly [FixedHeaders, FixedHeaders];
}

export interface RoutePolicies {
  /** The policy of the route the router matched; the unmatched one for anything else. */
  of(request: FastifyRequest): RoutePolicy;
  /** The policy of requests no route matched (the 404 handler, framework errors): zone open. */
  readonly unmatched: RoutePolicy;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The matched route's policy, once read (RoutePolicies.of). */
    routePolicy: RoutePolicy | null;
  }
}

function classOf(config: AccessRouteConfig, zone: RouteZone): RateClass {
  if (config.methodNotAllowed) return 'exempt';
  if (config.rateClass) return config.rateClass;
  return zone === 'ops' || zone === 'docs' ? 'exempt' : 'read';
}

/**
 * Adds the onRoute hook that gives every route registered from now on its policy: call it before any
 * route exists, and before any other onRoute hook that reads a route's policy. `limiter` gives the
 * route-level onRequest hook that counts a request against its class's budget (rate-limit.ts).
 */
export function registerRoutePolicy(
  app: FastifyInstance,
  options: {
    headers: SecurityHeaderOptions;
    limiter: (rateClass: Exclude<RateClass, 'exempt'>) => onRequestHookHandler;
  },
): RoutePolicies {
  const headerSets = fixedHeaderSets(options.headers);
  const unmatched: RoutePolicy = Object.freeze({
    zone: 'open',
    rateClass: 'exempt',
    route: 'unmatched',
    headers: headerSets.open,
  });
  setZone(app, 'open');
  app.addHook('onRoute', function decidePolicy(this: FastifyInstance, route: RouteOptions) {
    const zone = contextZone(this);
    const config = (route.config ?? {}) as AccessRouteConfig & Record<string, unknown>;
    const rateClass = classOf(config, zone);
    const policy: RoutePolicy = Object.freeze({ zone, rateClass, route: route.url, headers: headerSets[zone] });
    route.config = { ...config, policy } as never;
    // A hook of the route itself runs after every hook of its contexts: in v1 after authentication,
    // so that a key's own budget applies.
    if (rateClass !== 'exempt') {
      const limit = options.limiter(rateClass);
      route.onRequest = route.onRequest === undefined ? [limit] : [...[route.onRequest].flat(), limit];
    }
  });
  // Read once per request, then from the request's own slot: request.routeOptions builds a new object
  // on every read, and the headers, the metrics and the access log each ask. (A request never changes
  // route once matched here: nothing calls reply.callNotFound().)
  app.decorateRequest('routePolicy', null);
  return {
    unmatched,
    of: (request) =>
      (request.routePolicy ??=
        (request.routeOptions.config as { policy?: RoutePolicy } | undefined)?.policy ?? unmatched),
  };
}
