// Where the local store's signed download links point: server.public_url, else the address and port
// the client's connection reached on this server, with the connection's own scheme. Never the Host or
// X-Forwarded-Host header: a link built from them would send a user's download (and its signature) to
// whatever host the request named.
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { isEncrypted } from './plugins/raw-answer.js';

export function downloadOrigin(request: FastifyRequest, publicUrl: string | null): string {
  if (publicUrl) return publicUrl;
  const socket = request.raw.socket;
  let address = socket.localAddress?.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  let port = socket.localPort;
  if (!address || !port) {
    // No real socket (app.inject): the listening address, if any.
    const bound = request.server.server.address();
    address = typeof bound === 'object' && bound ? bound.address : '127.0.0.1';
    port = typeof bound === 'object' && bound ? bound.port : 80;
  }
  const host = isIP(address) === 6 ? `[${address}]` : address;
  return `${isEncrypted(socket) ? 'https' : 'http'}://${host}:${port}`;
}
