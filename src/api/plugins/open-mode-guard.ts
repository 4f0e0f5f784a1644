// Keeps a server without authentication ("open mode": no token, no key; it only ever binds loopback)
// out of reach of web pages in the user's browser:
// - Host: only loopback names (127.0.0.0/8, localhost, [::1]) and server.allowed_hosts are served, so
//   a DNS-rebinding page (its own name, now answering 127.0.0.1) gets 421 instead of every job. With
//   server.allowed_hosts set the check holds in keyed mode too; without it a keyed server serves any
//   Host (a rebinding page holds no key, and an edge in front passes its public name through).
// - Origin / Sec-Fetch-Site: a state-changing request (POST, PUT, PATCH, DELETE) from another origin
//   is 403 unless security.cors_origins allows that origin, so that no page can submit a paid job
//   with a "simple" cross-site form POST (which needs no preflight).
// Both are root onRequest hooks, so they run for every route the router matched (and the 404
// handler), in that route's error envelope; they read headers, never the URL.
import { BlockList, isIP } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/api-error.js';
import { redactedClip } from '../../logging/redact.js';

export interface OpenModeGuardOptions {
  /** True while /v1 answers without a key (read when a request needs the verdict, not on every request). */
  open(): Promise<boolean>;
  /** server.allowed_hosts (and the edge's name): served besides the loopback names. */
  allowedHosts: readonly string[];
  /** Enforce the Host check in keyed mode too (server.allowed_hosts is set). */
  hostCheckAlways: boolean;
  /** security.cors_origins: origins allowed to send state-changing requests in open mode ("*": any). */
  corsOrigins: readonly string[];
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The host name of a Host header ("name", "name:port", "[v6]", "[v6]:port"), lowercased, brackets
 * off; null when the value is anything else (userinfo, paths, spaces: no lenient URL parsing).
 */
export function hostOf(header: string): string | null {
  const v6 = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(header);
  if (v6) return isIP(v6[1]!) === 6 ? canonicalV6(v6[1]!) : null;
  const name = /^([A-Za-z0-9.-]+)(?::\d{1,5})?$/.exec(header);
  return name ? name[1]!.toLowerCase() : null;
}

/** One spelling per IPv6 address (the WHATWG URL serializer's: lowercase, shortest). */
function canonicalV6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

/** Normalizes a configured host: lowercase, brackets off, IPv6 in one spelling (entries are validated by the config schema). */
export function normalizeHostEntry(entry: string): string {
  const bare = entry
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return isIP(bare) === 6 ? canonicalV6(bare) : bare;
}

export function isLoopbackName(host: string): boolean {
  if (host === 'localhost') return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/** The serialized origin of a URL-ish string, or null ("null" origins, garbage). */
function originOf(value: string): string | null {
  try {
    const origin = new URL(value).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

function headerValue(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** The Host the client addressed: Host, or HTTP/2's :authority. Never X-Forwarded-Host. */
function requestedHost(request: FastifyRequest): string | undefined {
  return headerValue(request, 'host') ?? headerValue(request, ':authority');
}

export function registerOpenModeGuard(app: FastifyInstance, options: OpenModeGuardOptions): void {
  const allowed = new Set(options.allowedHosts.map(normalizeHostEntry));
  const anyOrigin = options.corsOrigins.some((o) => o.trim() === '*');
  const corsOrigins = new Set(
    options.corsOrigins.map((o) => originOf(o.trim())).filter((o): o is string => o !== null),
  );

  // Host values found served, so that the next request with the same one (nearly all of them) is one
  // lookup: the check itself parses the name and builds a SocketAddress for the BlockList. Cleared
  // when full, so that a client sending ever new names cannot grow it.
  const served = new Set<string>();

  /** Null when the Host is served; else why not. A request without Host (HTTP/1.0) is no browser's. */
  const hostProblem = (request: FastifyRequest): string | null => {
    const header = requestedHost(request);
    if (header === undefined || served.has(header)) return null;
    const host = hostOf(header);
    if (host !== null && (isLoopbackName(host) || allowed.has(host))) {
      if (served.size >= 256) served.clear();
      served.add(header);
      return null;
    }
    return `this server answers only for loopback names and server.allowed_hosts, not for Host "${redactedClip(header, 100)}"`;
  };

  /** Null when the request comes from this server's own pages (or from no browser page at all); else the foreign origin. */
  const crossSite = (request: FastifyRequest): { origin: string | null; site: string | null } | null => {
    const origin = headerValue(request, 'origin');
    const site = headerValue(request, 'sec-fetch-site')?.toLowerCase() ?? null;
    const siteForeign = site === 'cross-site' || site === 'same-site';
    if (origin === undefined) return siteForeign ? { origin: null, site } : null;
    const host = requestedHost(request);
    const own = host === undefined ? null : originOf(`${request.protocol}://${host}`);
    const theirs = originOf(origin);
    if (theirs !== null && theirs === own && !siteForeign) return null;
    return { origin: theirs, site };
  };

  const corsAllows = (origin: string | null) => origin !== null && (anyOrigin || corsOrigins.has(origin));

  const misdirected = (problem: string) =>
    new ApiError('MisdirectedRequest', `Host refused: ${problem}`, { field: 'Host', reason: 'host_not_allowed' });
  const forbidden = (refusal: { origin: string | null; site: string | null }) =>
    new ApiError(
      'Forbidden',
      `Cross-site request refused: this server has no authentication, and ${refusal.origin ?? `a ${refusal.site} page`} is not in security.cors_origins`,
      { origin: refusal.origin, sec_fetch_site: refusal.site, reason: 'cross_site_request' },
    );

  // Callback hook: the common request (loopback Host, a read or a same-origin write) never awaits.
  app.addHook('onRequest', (request, _reply, done) => {
    const hostRefusal = hostProblem(request);
    if (hostRefusal !== null && options.hostCheckAlways) return done(misdirected(hostRefusal));
    const foreign = STATE_CHANGING.has(request.method) ? crossSite(request) : null;
    const originRefusal = foreign && !corsAllows(foreign.origin) ? foreign : null;
    if (hostRefusal === null && originRefusal === null) return done();
    options.open().then(
      (open) => {
        if (!open) return done();
        if (hostRefusal !== null) return done(misdirected(hostRefusal));
        done(forbidden(originRefusal!));
      },
      (err: unknown) => done(err as Error),
    );
  });
}
