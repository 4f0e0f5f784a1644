// The client's HTTP protocol: what the edge (Caddy) reports in X-Client-Protocol when the request
// comes from a trusted proxy, else the connection's own version.
import type { FastifyRequest } from 'fastify';

function normalize(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

export function fromTrustedProxy(request: FastifyRequest, trustedProxies: readonly string[]): boolean {
  return trustedProxies.length > 0 && trustedProxies.includes(normalize(request.socket.remoteAddress));
}

/** "h3", "h2" or "http/1.1" (or "http/1.0") for a version such as "1.1", "2.0" or "3". */
function protocolName(version: string): string {
  if (version === '1.1') return 'http/1.1';
  if (version.startsWith('3')) return 'h3';
  if (version.startsWith('2')) return 'h2';
  return version === '1.0' ? 'http/1.0' : 'http/1.1';
}

/** "h3", "h2" or "http/1.1" (or "http/1.0"). */
export function clientProtocol(request: FastifyRequest, trustedProxies: readonly string[]): string {
  const forwarded = request.headers['x-client-protocol'];
  if (typeof forwarded === 'string' && fromTrustedProxy(request, trustedProxies))
    return protocolName(forwarded.replace(/^HTTP\//i, ''));
  return protocolName(request.raw.httpVersion);
}
