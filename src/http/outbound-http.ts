// HTTP requests the server makes to URLs someone else named: a client (per-job webhooks,
// first-frame image URLs) or the operator (configured webhook endpoints). undici's fetch with our
// own dispatcher, for one reason: a public-only client checks addresses inside the socket's
// `lookup`, so the address it checked is the address it connects to.
//
// - Public-only: each new connection resolves the host once (the process resolver, dns.lookup, or
//   the `resolve` given), refuses unless every address is public (public-address.ts), and hands
//   node:net only those checked addresses. A name that answers a public address to a check and
//   127.0.0.1 to the connect (DNS rebinding) cannot get in between, on any attempt or retry: every
//   connection repeats the check. Host header and TLS SNI stay the URL's host name (undici takes
//   them from the URL, not from the address). node:net never calls `lookup` for an IP-literal host,
//   so those are checked before the request.
// - Redirects are never followed (fetch's default is overridden to 'manual').
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, fetch, type RequestInit, type Response } from 'undici';
import { isPublicAddress } from './public-address.js';
import { OutboundRefusedError } from '../errors/outbound-refused-error.js';
export { OutboundRefusedError };

export type { Response } from 'undici';

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Every address a host name resolves to. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** The process's resolver (getaddrinfo through dns.lookup, read at call time), every address in resolver order. */
export const processResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dns.lookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

/** Why a request failed, in words a client may read: nothing about ports, addresses or inner answers. */
export type OutboundFailure = 'refused' | 'timeout' | 'unreachable';

/** What a fetch() rejection means (undici wraps connect errors in `cause`). */
export function outboundFailure(err: unknown): OutboundFailure {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current instanceof Error; depth += 1) {
    if (current instanceof OutboundRefusedError) return 'refused';
    if (current.name === 'TimeoutError') return 'timeout';
    current = current.cause;
  }
  return 'unreachable';
}

export interface OutboundHttpOptions {
  /** Connect only to globally reachable addresses (URLs a client named). */
  publicOnly: boolean;
  /** How host names resolve; default: the process resolver. */
  resolve?: Resolver;
}

export class OutboundHttp {
  private readonly agent: Agent;
  private readonly resolve: Resolver;

  constructor(private readonly options: OutboundHttpOptions) {
    this.resolve = options.resolve ?? processResolver;
    this.agent = new Agent({ connect: options.publicOnly ? { lookup: checkedLookup(this.resolve) } : {} });
  }

  /** fetch() through this client; redirects come back as they are (3xx), never followed. */
  async fetch(url: string, init: Omit<RequestInit, 'dispatcher'> = {}): Promise<Response> {
    const target = new URL(url);
    if (this.options.publicOnly) {
      if (target.protocol !== 'http:' && target.protocol !== 'https:')
        throw new OutboundRefusedError(`${target.protocol} is not http(s)`);
      const host = target.hostname.replace(/^\[|\]$/g, '');
      if (isIP(host) && !isPublicAddress(host)) throw new OutboundRefusedError(`${host} is not a public address`);
    }
    return fetch(target, { ...init, redirect: init.redirect === 'error' ? 'error' : 'manual', dispatcher: this.agent });
  }

  /** Drops every connection at once (requests in flight fail). */
  async close(): Promise<void> {
    await this.agent.destroy();
  }
}

/**
 * Whether a URL's host is public (a public IP literal, or a name whose every address is public),
 * without connecting: validation at submission; every connection checks again. Null when it is.
 */
export async function publicUrlProblem(
  url: string,
  resolve: Resolver = processResolver,
): Promise<{ failure: 'refused' | 'unreachable'; detail: string } | null> {
  let host: string;
  try {
    const target = new URL(url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:')
      return { failure: 'refused', detail: `${target.protocol} is not http(s)` };
    host = target.hostname.replace(/^\[|\]$/g, '');
  } catch {
    return { failure: 'refused', detail: 'not a URL' };
  }
  if (isIP(host))
    return isPublicAddress(host) ? null : { failure: 'refused', detail: `${host} is not a public address` };
  try {
    checkedAddresses(host, await resolve(host));
    return null;
  } catch (err) {
    return err instanceof OutboundRefusedError
      ? { failure: 'refused', detail: err.detail }
      : { failure: 'unreachable', detail: `${host} does not resolve` };
  }
}

/** The addresses of a host when every one of them is public; else OutboundRefusedError. */
function checkedAddresses(hostname: string, addresses: ResolvedAddress[]): ResolvedAddress[] {
  if (addresses.length === 0) throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
  const inner = addresses.find((a) => !isPublicAddress(a.address));
  if (inner) throw new OutboundRefusedError(`${hostname} resolves to ${inner.address}, which is not a public address`);
  return addresses;
}

/** A node:net `lookup` that resolves once, checks every address and answers only with checked ones. */
function checkedLookup(resolve: Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname)
      .then((addresses) => {
        const checked = checkedAddresses(hostname, addresses);
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const wanted = family === 4 || family === 6 ? checked.filter((a) => a.family === family) : checked;
        if (wanted.length === 0)
          throw Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' });
        return wanted;
      })
      .then(
        (wanted) => (options.all ? callback(null, wanted) : callback(null, wanted[0]!.address, wanted[0]!.family)),
        (err: NodeJS.ErrnoException) => callback(err, '', 0),
      );
  };
}
