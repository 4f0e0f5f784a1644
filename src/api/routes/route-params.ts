// The path and header values the job and video routes read, parsed with the zod schemas of
// schemas.ts like every other request part.
import type { FastifyRequest } from 'fastify';
import { JOB_ID, parseRequestPart, submitHeadersSchema } from '../schemas.js';
import { JobNotFoundError } from '../../errors/job-not-found-error.js';

/**
 * The route's `:id`, lower-cased; an id that is not a UUID names no job (404 JobNotFound, not 400).
 * The check of jobIdParamsSchema, by its own pattern: a zod parse allocated a result object per
 * request on the status read, the path measured against a bare server (bench/RESULTS.md).
 */
export function jobIdParam(request: FastifyRequest): string {
  const id = (request.params as { id?: unknown }).id;
  if (typeof id !== 'string' || !JOB_ID.test(id)) throw new JobNotFoundError(String(id));
  return id.toLowerCase();
}

/** The Idempotency-Key of a submit request, if sent (400 ValidationError when malformed). */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  return parseRequestPart(submitHeadersSchema, request.headers, 'headers')['idempotency-key'];
}
