// The path and header values the job and video routes read, parsed with the zod schemas of
// schemas.ts like every other request part.
import type { FastifyRequest } from 'fastify';
import { jobIdParamsSchema, parseRequestPart, submitHeadersSchema } from '../schemas.js';
import { JobNotFoundError } from '../../errors/job-not-found-error.js';

/** The route's `:id`, lower-cased; an id that is not a UUID names no job (404 JobNotFound, not 400). */
export function jobIdParam(request: FastifyRequest): string {
  const parsed = jobIdParamsSchema.safeParse(request.params);
  if (!parsed.success) throw new JobNotFoundError(String((request.params as { id?: unknown }).id));
  return parsed.data.id;
}

/** The Idempotency-Key of a submit request, if sent (400 ValidationError when malformed). */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  return parseRequestPart(submitHeadersSchema, request.headers, 'headers')['idempotency-key'];
}
