// OpenAI's error envelope, {"error": {message, type, param, code}}, for the /v1/videos routes only:
// the same ApiErrors as everywhere, shown the way the official SDKs read them (BadRequestError with
// `param`, AuthenticationError, NotFoundError, RateLimitError, …). Every other route keeps ttv's envelope.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/api-error.js';
import { toApiError } from '../plugins/error-handler.js';

const TYPES: Record<number, string> = { 401: 'authentication_error', 403: 'permission_error', 429: 'rate_limit_error' };

/** ttv's option and field names → the OpenAI request parameter a client sent. */
const PARAMS: Record<string, string> = {
  'options.duration_seconds': 'seconds',
  'options.segment_duration_seconds': 'seconds',
  'options.aspect_ratio': 'size',
  'options.resolution': 'size',
  'options.backend': 'model',
  'options.image': 'input_reference',
};

export function openAiParam(field: string | undefined): string | null {
  if (!field) return null;
  return PARAMS[field] ?? field;
}

const snake = (code: string) => code.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

export function sendOpenAiError(request: FastifyRequest, reply: FastifyReply, error: ApiError): FastifyReply {
  for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
  const field = (error.details as { field?: unknown } | null)?.field;
  const param = openAiParam(typeof field === 'string' ? field : undefined);
  let message = error.publicMessage;
  // "options.seed: …" reads as the parameter the client sent.
  if (typeof field === 'string' && param && message.startsWith(`${field}:`))
    message = `${param}:${message.slice(field.length + 1)}`;
  return reply
    .code(error.statusCode)
    .type('application/json; charset=utf-8')
    .header('x-request-id', request.id)
    .send({
      error: {
        message,
        type: TYPES[error.statusCode] ?? (error.statusCode >= 500 ? 'server_error' : 'invalid_request_error'),
        param,
        code: snake(error.code),
      },
    });
}

/** Call inside the encapsulated context of the /v1/videos routes. */
export function useOpenAiErrors(context: FastifyInstance, bodyLimit: number): void {
  context.setErrorHandler((err, request, reply) => {
    const apiError = toApiError(err, bodyLimit, request.headers['content-type']);
    if (apiError.statusCode >= 500) request.log.error({ err }, 'request failed');
    return sendOpenAiError(request, reply, apiError);
  });
}
