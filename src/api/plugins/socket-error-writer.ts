// Requests Node's HTTP parser refused (bad framing, headers too large, a request that took too long)
// never reach Fastify: they are answered here, on the socket, in the error envelope.
import type { Socket } from 'node:net';
import { isEncrypted, rawErrorAnswer } from './raw-answer.js';

/** Answers a request Node's HTTP parser rejected (400, 408 or 431 ValidationError) and closes the socket. */
export function writeClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  socket.end(
    rawErrorAnswer(
      {
        status: tooLarge ? 431 : timeout ? 408 : 400,
        code: 'ValidationError',
        message: tooLarge ? 'Request headers too large' : timeout ? 'Request timed out' : 'Malformed HTTP request',
        retryable: timeout,
      },
      isEncrypted(socket),
    ),
  );
}
