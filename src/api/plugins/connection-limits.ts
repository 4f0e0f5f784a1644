// Caps on open sockets, per process and per remote address, checked when a connection is accepted
// (before any byte is parsed), so that one client cannot hold every file descriptor. Node's own
// `server.maxConnections` only drops the socket silently; this answers 503 with Retry-After in the
// envelope first where the connection is plain HTTP/1.1, then closes it. Hand-written: no Fastify
// plugin counts sockets per address.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:net';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  maxConnections: number;
  maxPerAddress: number;
  /** Addresses not capped per address (the edge): it carries many clients on its sockets. */
  exemptAddresses: readonly string[];
  /** False when sockets carry TLS: a plain-text answer would be garbage there, so they are just closed. */
  plainHttp: boolean;
  retryAfterSeconds?: number;
}

function normalize(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

function refusal(message: string, retryAfter: number): string {
  const requestId = randomUUID();
  const body = JSON.stringify({
    error: 'ServiceUnavailable', message, details: { retry_after: retryAfter },
    timestamp: new Date().toISOString(), request_id: requestId, retryable: true,
  });
  return `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`
    + `retry-after: ${retryAfter}\r\nconnection: close\r\nx-request-id: ${requestId}\r\nx-correlation-id: ${requestId}\r\n`
    + `x-content-type-options: nosniff\r\n\r\n${body}`;
}

export interface ConnectionCounts {
  open(): number;
  from(address: string): number;
  /**
   * Closes HTTP/1.1 sockets that never carried a request. Node's close waits for them (they are
   * neither idle nor timed out by headersTimeout until a first byte arrives), so shutdown would wait
   * for the idle timeout. Nothing is done over TLS/HTTP/2, where sessions are closed by Node.
   */
  closeUnused(): void;
}

/** Installs the caps on the server; returns the live counts (for tests and metrics). */
export function limitConnections(server: Server, limits: ConnectionLimits): ConnectionCounts {
  const perAddress = new Map<string, number>();
  const unused = new Set<Socket>();
  if (limits.plainHttp) server.on('request', (request: { socket: Socket }) => unused.delete(request.socket));
  let open = 0;
  const retryAfter = limits.retryAfterSeconds ?? 5;
  const exempt = new Set(limits.exemptAddresses.map(normalize));

  // First listener: a refused socket is answered before the HTTP parser reads from it.
  server.prependListener('connection', (socket: Socket) => {
    const address = normalize(socket.remoteAddress);
    const fromAddress = perAddress.get(address) ?? 0;
    let refused: string | null = null;
    if (open >= limits.maxConnections) refused = 'Too many open connections to this server; retry later';
    else if (!exempt.has(address) && fromAddress >= limits.maxPerAddress) refused = 'Too many open connections from your address; retry later';
    if (refused) {
      if (limits.plainHttp && socket.writable) {
        // Bounded: the socket is destroyed shortly even if the client never reads the answer.
        socket.end(refusal(refused, retryAfter));
        socket.setTimeout(1000, () => socket.destroy());
      } else {
        socket.destroy();
      }
      return;
    }
    open += 1;
    perAddress.set(address, fromAddress + 1);
    if (limits.plainHttp) unused.add(socket);
    socket.once('close', () => {
      unused.delete(socket);
      open -= 1;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
  return {
    open: () => open,
    from: (address) => perAddress.get(normalize(address)) ?? 0,
    closeUnused: () => { for (const socket of unused) socket.destroy(); unused.clear(); },
  };
}
