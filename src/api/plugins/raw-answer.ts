// Answers written straight to a socket, where no Fastify reply exists: a request Node's HTTP parser
// refused (400, 408, 431) or a connection over a cap (503). They carry what every answer carries:
// the error envelope, a request id and the security headers.
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { PublicErrorCode } from '../../errors/error-codes.js';
import { rawAnswerHeaders } from './security-headers.js';

export interface RawError {
  status: number;
  code: PublicErrorCode;
  message: string;
  details?: Record<string, unknown> | null;
  retryable: boolean;
  headers?: Record<string, string>;
}

/** True for a TLS socket (its answer also carries Strict-Transport-Security). */
export function isEncrypted(socket: Socket): boolean {
  return (socket as Socket & { encrypted?: boolean }).encrypted === true;
}

/** A whole HTTP/1.1 answer (head and JSON body) that closes the connection. */
export function rawErrorAnswer(error: RawError, secure: boolean): string {
  const requestId = randomUUID();
  const body = JSON.stringify({
    error: error.code,
    message: error.message,
    details: error.details ?? null,
    timestamp: new Date().toISOString(),
    request_id: requestId,
    retryable: error.retryable,
  });
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    connection: 'close',
    ...(error.headers ?? {}),
    'x-request-id': requestId,
    'x-correlation-id': requestId,
    ...rawAnswerHeaders(secure),
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? ''}\r\n${head}\r\n${body}`;
}
