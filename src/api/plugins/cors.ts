// CORS for the configured origins only (off when none are configured). Bearer tokens travel in a
// header, so credentials (cookies) are never allowed, and "*" is never combined with them.
import type { FastifyInstance } from 'fastify';
import cors from '@fastify/cors';

export async function registerCors(app: FastifyInstance, origins: string[]): Promise<boolean> {
  const list = [...new Set(origins.map((o) => o.trim()).filter(Boolean))];
  if (list.length === 0) return false;
  await app.register(cors, {
    origin: list.includes('*') ? '*' : list,
    credentials: false,
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'last-event-id', 'x-request-id'],
    exposedHeaders: [
      'x-request-id',
      'x-correlation-id',
      'location',
      'retry-after',
      'idempotent-replayed',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ],
    maxAge: 600,
    optionsSuccessStatus: 204,
    strictPreflight: true,
  });
  return true;
}
