// One error envelope for everything: our ApiErrors, Fastify's own 4xx, store/storage outages, and bugs.
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../errors/api-error.js';
import { StoreUnavailableError } from '../../errors/store-unavailable-error.js';
import { StorageError } from '../../errors/storage-error.js';
import { toClientError } from '../../errors/client-error.js';
import { InvalidCursorError } from '../../errors/invalid-cursor-error.js';
import { validationError } from '../errors/validation-error.js';
import { QueueFullError } from '../../errors/queue-full-error.js';
import { BudgetExceededError } from '../../errors/budget-exceeded-error.js';
import { queueFull } from '../errors/queue-full-error.js';
import { budgetExceeded } from '../errors/budget-exceeded-error.js';
import { serviceUnavailable, storageUnavailable } from '../errors/service-unavailable-error.js';
import { isEncrypted, rawErrorAnswer } from './raw-answer.js';
import { redactedClip } from '../../logging/redact.js';

export function toApiError(err: unknown, bodyLimit: number, contentType?: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreUnavailableError) return serviceUnavailable('Job store is unavailable; try again shortly');
  if (err instanceof StorageError) return storageUnavailable(`Artifact storage failed: ${toClientError(err).message}`);
  if (err instanceof QueueFullError) return queueFull(err);
  if (err instanceof BudgetExceededError) return budgetExceeded(err);
  if (err instanceof InvalidCursorError) return validationError([{ field: 'cursor', message: 'is not a cursor this server issued' }]);
  const fe = err as Partial<FastifyError>;
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'PayloadTooLarge', `Request body too large. Maximum size: ${bodyLimit} bytes`, { max_size: bodyLimit });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'UnsupportedMediaType', 'Content-Type must be application/json', {
        ...(contentType ? { provided_type: redactedClip(contentType.split(';', 1)[0]!.trim(), 100) } : {}),
        supported_types: ['application/json'],
      });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return validationError([{ field: 'Content-Length', message: 'does not match the body' }]);
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new ApiError(400, 'ValidationError', 'Malformed request URL', { field: 'url' });
    // Fastify 5 raises MAX_PARAM_LENGTH; the router's limit is set to Node's header limit (app.ts),
    // so this is a guard, not a path a request should take.
    case 'FST_ERR_MAX_PARAM_LENGTH':
    case 'FST_ERR_ROUTE_URL_TOO_LONG':
    case 'FST_ERR_ROUTE_REWRITE_NOT_STR':
      return new ApiError(fe.statusCode === 414 ? 414 : 400, 'ValidationError', 'Request URL too long', { field: 'url' });
    default:
      break;
  }
  if (fe.statusCode === 429) {
    return new ApiError(429, 'RateLimitExceeded', 'Rate limit exceeded', null, true, { 'retry-after': '60' });
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ApiError(fe.statusCode, fe.statusCode === 404 ? 'NotFound' : 'ValidationError', 'Bad request', null);
  }
  return new ApiError(500, 'InternalServerError', 'An internal server error occurred', null);
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply
    .code(error.statusCode)
    .type('application/json; charset=utf-8')
    .send({
      error: error.code,
      message: error.message,
      details: error.details,
      timestamp: new Date().toISOString(),
      request_id: request.id,
      retryable: error.retryable,
    });
}

export function registerErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err, request, reply) => {
    const apiError = toApiError(err, bodyLimit, request.headers['content-type']);
    if (apiError.statusCode >= 500) request.log.error({ err }, 'request failed');
    return sendError(request, reply, apiError);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = redactedClip(request.url.split('?', 1)[0] ?? '', 200);
    return sendError(request, reply, new ApiError(404, 'NotFound', `No route for ${request.method} ${path}`));
  });
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'] as const;

/**
 * Fastify answers 404 for a known path with the wrong method; the contract wants 405 + Allow.
 * Collect routes as they are added, then fill the remaining methods of each path with a 405 route.
 */
export function collectRoutes(app: FastifyInstance, options: { includeOptions: boolean }): () => void {
  // Fastify routes TRACE only once it is declared; without this, TRACE on a known path would be a 404.
  if (!app.supportedMethods.includes('TRACE')) app.addHttpMethod('TRACE');
  // Each path remembers the encapsulated context that registered it, so that its 405 route lives in
  // the same context (same auth hook, same zone headers) as the real ones.
  // `path` is the route's own path inside that context (without the context's prefix), since the
  // 405 route is added through the context and gets its prefix again.
  const byUrl = new Map<string, { methods: Set<string>; context: FastifyInstance; path: string }>();
  app.addHook('onRoute', function collect(this: FastifyInstance, route) {
    if ((route.config as { methodNotAllowed?: boolean } | undefined)?.methodNotAllowed) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const entry = byUrl.get(route.url) ?? { methods: new Set<string>(), context: this, path: route.prefix && route.url.startsWith(route.prefix) ? route.url.slice(route.prefix.length) : route.url };
    for (const m of methods) entry.methods.add(m.toUpperCase());
    byUrl.set(route.url, entry);
  });
  return () => {
    for (const [url, { methods, context, path }] of byUrl) {
      if (url.includes('*')) continue;
      const allowed = [...methods].filter((m) => m !== 'HEAD' || methods.has('GET'));
      const allow = [...new Set(allowed)].join(', ');
      const missing = METHODS.filter((m) => !methods.has(m) && (m !== 'OPTIONS' || options.includeOptions));
      if (missing.length === 0) continue;
      context.route({
        method: missing as unknown as string[],
        url: path,
        config: { methodNotAllowed: true },
        schema: { hide: true },
        // Thrown, not sent: the context's own error handler answers it in that context's envelope.
        handler: async (request) => {
          throw new ApiError(405, 'MethodNotAllowed', `Method ${request.method} not allowed on this path`, { allow: allow.split(', ') }, false, { allow });
        },
      });
    }
  };
}

/** Answers a request Node's HTTP parser rejected, in the error envelope, and closes the socket. */
export function writeClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
  socket.end(rawErrorAnswer({
    status: tooLarge ? 431 : timeout ? 408 : 400,
    code: 'ValidationError',
    message: tooLarge ? 'Request headers too large' : timeout ? 'Request timed out' : 'Malformed HTTP request',
    retryable: timeout,
  }, isEncrypted(socket)));
}
