// One access-log line per request, on response: method, path (signed query redacted by the logger),
// status, duration, request id, client address and protocol (from the edge's X-Forwarded-Proto).
import type { FastifyInstance } from 'fastify';
import { clientProtocol } from './client-protocol.js';

export function registerAccessLog(app: FastifyInstance, trustedProxies: readonly string[]): void {
  app.addHook('onResponse', (request, reply, done) => {
    request.log.info({
      method: request.method,
      url: request.url,
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
      remote: request.ip,
      http: request.raw.httpVersion,
      protocol: clientProtocol(request, trustedProxies),
      proto: request.headers['x-forwarded-proto'] ?? request.protocol,
    }, 'request');
    done();
  });
}
