// Caps on open sockets, per process and per remote address, checked when a connection is accepted
// (before any byte is parsed), so that one client cannot hold every file descriptor. Node's own
// `server.maxConnections` only drops the socket silently; this answers 503 with Retry-After in the
// envelope first where the connection is plain HTTP/1.1, then closes it.
// At the process cap an idle socket (no request in flight: one that never sent a request, or a kept-
// alive one between requests) is closed to make room before a new one is refused: the one idle
// longest, from the address holding the most sockets; for a newcomer whose address already holds
// sockets, only when that address holds at least two more (so equally heavy addresses never displace
// one another, and a flood that reconnects whatever is closed settles instead of churning). Silent or
// parked sockets from a few addresses then cannot lock anyone else out; only busy sockets hold their place.
// Hand-written: no Fastify plugin counts sockets per address or knows which are idle.
import type { Server, Socket } from 'node:net';
import { rawErrorAnswer } from './raw-answer.js';

export interface ConnectionLimits {
  maxConnections: number;
  maxPerAddress: number;
  /** Addresses not capped per address (the edge): it carries many clients on its sockets. */
  exemptAddresses: readonly string[];
  /** False when sockets carry TLS: a plain-text answer would be garbage there, so they are just closed. */
  plainHttp: boolean;
  retryAfterSeconds?: number;
  /** Milliseconds clock, for idle ages (tests). */
  now?: () => number;
}

function normalize(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:/, '');
}

/** The socket's peer, as the TCP socket and the TLS socket or HTTP/2 session over it both report it. */
function peerKey(socket: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;
}

interface Tracked {
  socket: Socket;
  address: string;
  peer: string;
  /** Requests received and not yet answered. */
  inFlight: number;
  /** When it last became idle (accepted, or its last answer ended). */
  idleSince: number;
  used: boolean;
}

const TRACKED = Symbol('ttv.trackedSocket');
type TrackedResponse = {
  [TRACKED]?: Tracked | undefined;
  on(event: 'close', fn: (this: TrackedResponse) => void): unknown;
};

export interface ConnectionCounts {
  open(): number;
  from(address: string): number;
  /** Idle sockets closed to make room at the process cap, since start. */
  evicted(): number;
  /**
   * Closes HTTP/1.1 sockets that never carried a request. Node's close waits for them (they are
   * neither idle nor timed out by headersTimeout until a first byte arrives), so shutdown would wait
   * for the idle timeout. Nothing is done over TLS/HTTP/2, where sessions are closed by Node.
   */
  closeUnused(): void;
}

/** Installs the caps on the server; returns the live counts (for tests and metrics). */
export function limitConnections(server: Server, limits: ConnectionLimits): ConnectionCounts {
  const now = limits.now ?? Date.now;
  const byAddress = new Map<string, Set<Tracked>>();
  const bySocket = new Map<Socket, Tracked>();
  // Over TLS a request names the TLS socket (or an HTTP/2 session's), not the TCP socket accepted here.
  const byPeer = limits.plainHttp ? null : new Map<string, Tracked>();
  let open = 0;
  let evictions = 0;
  const retryAfter = limits.retryAfterSeconds ?? 5;
  const exempt = new Set(limits.exemptAddresses.map(normalize));

  const untrack = (tracked: Tracked): void => {
    if (bySocket.get(tracked.socket) !== tracked) return;
    bySocket.delete(tracked.socket);
    byPeer?.delete(tracked.peer);
    open -= 1;
    const set = byAddress.get(tracked.address);
    set?.delete(tracked);
    if (set && set.size === 0) byAddress.delete(tracked.address);
  };

  /**
   * Closes the idle socket idle longest among those of the address with the most sockets, if the
   * newcomer's address holds none or that address holds more than `newcomerCount` + 1; false otherwise.
   */
  const evictIdle = (newcomerCount: number): boolean => {
    let victim: Tracked | null = null;
    let victimCount = 0;
    for (const set of byAddress.values()) {
      if (set.size < victimCount) continue;
      for (const tracked of set) {
        if (tracked.inFlight > 0) continue;
        if (victim === null || set.size > victimCount || tracked.idleSince < victim.idleSince) {
          victim = tracked;
          victimCount = set.size;
        }
      }
    }
    if (victim === null || (newcomerCount > 0 && victimCount <= newcomerCount + 1)) return false;
    untrack(victim); // counted free at once; its 'close' event comes later
    victim.socket.destroy();
    evictions += 1;
    return true;
  };

  // One listener function for every response (its socket's record is kept on the response), rather
  // than a closure and a once-wrapper per request: this runs on every request.
  function answered(this: TrackedResponse): void {
    const tracked = this[TRACKED];
    if (!tracked) return;
    this[TRACKED] = undefined;
    tracked.inFlight -= 1;
    if (tracked.inFlight === 0) tracked.idleSince = now();
  }
  server.on('request', (request: { socket: Socket }, response: TrackedResponse) => {
    const tracked = bySocket.get(request.socket) ?? byPeer?.get(peerKey(request.socket));
    if (!tracked) return;
    tracked.used = true;
    tracked.inFlight += 1;
    response[TRACKED] = tracked;
    response.on('close', answered);
  });

  // First listener: a refused socket is answered before the HTTP parser reads from it.
  server.prependListener('connection', (socket: Socket) => {
    const address = normalize(socket.remoteAddress);
    const fromAddress = byAddress.get(address)?.size ?? 0;
    let refused: string | null = null;
    if (!exempt.has(address) && fromAddress >= limits.maxPerAddress)
      refused = 'Too many open connections from your address; retry later';
    else if (open >= limits.maxConnections && !evictIdle(fromAddress))
      refused = 'Too many open connections to this server; retry later';
    if (refused) {
      if (limits.plainHttp && socket.writable) {
        // Bounded: the socket is destroyed shortly even if the client never reads the answer.
        socket.end(
          rawErrorAnswer(
            {
              status: 503,
              code: 'ServiceUnavailable',
              message: refused,
              details: { retry_after: retryAfter },
              retryable: true,
              headers: { 'retry-after': String(retryAfter) },
            },
            false,
          ),
        );
        socket.setTimeout(1000, () => socket.destroy());
      } else {
        socket.destroy();
      }
      return;
    }
    const tracked: Tracked = { socket, address, peer: peerKey(socket), inFlight: 0, idleSince: now(), used: false };
    open += 1;
    bySocket.set(socket, tracked);
    byPeer?.set(tracked.peer, tracked);
    let set = byAddress.get(address);
    if (!set) byAddress.set(address, (set = new Set()));
    set.add(tracked);
    socket.once('close', () => untrack(tracked));
  });
  return {
    open: () => open,
    from: (address) => byAddress.get(normalize(address))?.size ?? 0,
    evicted: () => evictions,
    closeUnused: () => {
      if (!limits.plainHttp) return;
      for (const tracked of [...bySocket.values()]) if (!tracked.used) tracked.socket.destroy();
    },
  };
}
