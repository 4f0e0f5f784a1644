// The path and header values every job route checks the same way.
import type { FastifyRequest } from 'fastify';
import { IDEMPOTENCY_KEY_PATTERN } from '../schemas.js';
import { jobNotFound } from '../errors/job-not-found-error.js';

/** Job (and video) ids are UUIDs, compared in lower case. */
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const IDEMPOTENCY_KEY = new RegExp(IDEMPOTENCY_KEY_PATTERN);

/** The route's `:id`, lower-cased; an id that is not a UUID names no job (404 JobNotFound). */
export function jobIdParam(request: FastifyRequest): string {
  const id = (request.params as { id: string }).id;
  if (!JOB_ID.test(id)) throw jobNotFound(id);
  return id.toLowerCase();
}
