// X-Request-ID / X-Correlation-ID: the client's value when it is sane, else a new UUID.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const SANE_ID = /^[A-Za-z0-9._:@-]{1,128}$/;

export function requestIdFrom(req: IncomingMessage): string {
  const requestId = req.headers['x-request-id'];
  if (typeof requestId === 'string' && SANE_ID.test(requestId)) return requestId;
  const correlationId = req.headers['x-correlation-id'];
  if (typeof correlationId === 'string' && SANE_ID.test(correlationId)) return correlationId;
  return randomUUID();
}
