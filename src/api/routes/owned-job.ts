// A job as the requesting principal may see it: an admin sees every job, a `jobs` key only its own.
// Another key's job is answered exactly like an unknown one (404 JobNotFound), so ids of other
// clients' jobs cannot be confirmed by probing.
import type { FastifyRequest } from 'fastify';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { JobRecord } from '../../jobs/job.js';
import { ANONYMOUS_PRINCIPAL, ownerFilter, type Principal } from '../../access/principal.js';
import { JobNotFoundError } from '../../errors/job-not-found-error.js';

export function principalOf(request: FastifyRequest): Principal {
  return request.principal ?? ANONYMOUS_PRINCIPAL;
}

/** True when the principal may act on the job. */
export function mayAccess(principal: Principal, job: JobRecord): boolean {
  const owner = ownerFilter(principal);
  return owner === null || job.owner_key_id === owner;
}

/** The job, or 404 JobNotFound when it does not exist or belongs to another key. */
export async function ownedJob(queue: JobQueue, request: FastifyRequest, id: string): Promise<JobRecord> {
  const job = await queue.get(id);
  if (!job || !mayAccess(principalOf(request), job)) throw new JobNotFoundError(id);
  return job;
}
