// Bearer auth on /v1/*: constant-time compare; health, metrics, docs, the page and signed file links stay open.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../errors/api-error.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function registerAuth(app: FastifyInstance, token: string | null): void {
  const expected = token?.trim() ? digest(token.trim()) : null;
  if (!expected) return;
  app.addHook('onRequest', async (request) => {
    if (request.method === 'OPTIONS' || !request.url.startsWith('/v1/')) return;
    const header = request.headers.authorization;
    const challenge = { 'www-authenticate': 'Bearer realm="ttv"' };
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) {
      throw new ApiError(401, 'Unauthorized', 'Missing or invalid authorization header', null, false, challenge);
    }
    const presented = header.slice(7).trim();
    if (!presented || !timingSafeEqual(digest(presented), expected)) {
      throw new ApiError(401, 'Unauthorized', 'Invalid authentication token', null, false, { 'www-authenticate': 'Bearer realm="ttv", error="invalid_token"' });
    }
  });
}
