// One error envelope for everything: our errors, Fastify's own 4xx, and bugs. An error of ours is
// answered by its code (errors/error-codes.ts): the code's status, and for a failure inside ttv
// InternalServerError; Fastify's errors by their FST_ERR_* code or status.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/api-error.js';
import { ERROR_CODES, isPublicCode } from '../../errors/error-codes.js';
import { TtvError } from '../../errors/ttv-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { toClientError } from '../../errors/client-error.js';
import { redactedClip } from '../../logging/redact.js';

export function toApiError(err: unknown, bodyLimit: number, contentType?: string): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof TtvError) return byCode(err);
  return fastifyAnswer(err as Partial<FastifyError>, bodyLimit, contentType);
}

/** An error of ours that the HTTP layer did not raise (an ApiError is answered as it is). */
function byCode(err: TtvError): ApiError {
  const { code } = err;
  if (!isPublicCode(code)) return new ApiError('InternalServerError');
  // A code a client reads, raised below the API (the artifact store's StorageError): the code's
  // words, then what failed.
  return new ApiError(code, `${ERROR_CODES[code].message}: ${toClientError(err).message}`, err.details);
}

function fastifyAnswer(fe: Partial<FastifyError>, bodyLimit: number, contentType: string | undefined): ApiError {
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError('PayloadTooLarge', `Request body too large. Maximum size: ${bodyLimit} bytes`, {
        max_size: bodyLimit,
      });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError('UnsupportedMediaType', 'Content-Type must be application/json', {
        ...(contentType ? { provided_type: redactedClip(contentType.split(';', 1)[0]!.trim(), 100) } : {}),
        supported_types: ['application/json'],
      });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new ValidationError([{ field: 'Content-Length', message: 'does not match the body' }]);
    case 'FST_ERR_BAD_URL':
    case 'FST_ERR_ASYNC_CONSTRAINT':
      return new ApiError('ValidationError', 'Malformed request URL', { field: 'url' });
    // Fastify 5 raises MAX_PARAM_LENGTH; the router's limit is set to Node's header limit (app.ts),
    // so this is a guard, not a path a request should take.
    case 'FST_ERR_MAX_PARAM_LENGTH':
    case 'FST_ERR_ROUTE_URL_TOO_LONG':
    case 'FST_ERR_ROUTE_REWRITE_NOT_STR':
      return new ApiError(
        'ValidationError',
        'Request URL too long',
        { field: 'url' },
        fe.statusCode === 414 ? { status: 414 } : {},
      );
    default:
      break;
  }
  if (fe.statusCode === 429)
    return new ApiError('RateLimitExceeded', 'Rate limit exceeded', null, { headers: { 'retry-after': '60' } });
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ApiError(fe.statusCode === 404 ? 'NotFound' : 'ValidationError', 'Bad request', null, {
      status: fe.statusCode,
    });
  }
  return new ApiError('InternalServerError');
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  return reply.code(error.statusCode).type('application/json; charset=utf-8').send({
    error: error.code,
    message: error.publicMessage,
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
    return sendError(request, reply, new ApiError('NotFound', `No route for ${request.method} ${path}`));
  });
}
