// The admin API for keys: GET /v1/keys lists them (never a secret), POST /v1/keys/{id}/revoke
// revokes one. Admin keys only (a `jobs` key gets 403: the route exists, the key may not use it).
// Creating keys stays with the operator's CLI (`ttv keys create`), where the secret is printed once
// on the machine that holds the store. A revocation here ends this process's event streams of that
// key at once; other processes notice it within a second (key-revocations.ts).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '../../config/schema.js';
import type { ApiKeyRecord, KeyStore } from '../../access/key-store.js';
import type { KeyRevocations } from '../../access/key-revocations.js';
import { revokeGuard, revokeRefusal } from '../../access/revoke-policy.js';
import { audit } from '../../access/audit.js';
import { redactedClip } from '../../logging/redact.js';
import { ApiError } from '../../errors/api-error.js';
import { cancelBodySchema, keyIdParamsSchema, parseRequestPart } from '../schemas.js';
import { listKeysSchema, revokeKeySchema } from '../route-schemas.js';
import { principalOf } from './owned-job.js';

export interface KeyRoutesOptions {
  config: AppConfig;
  keys: KeyStore;
  revocations?: KeyRevocations;
  logger?: Logger;
}

function keyView(k: ApiKeyRecord) {
  return {
    id: k.id,
    name: k.name,
    scope: k.scope,
    status: k.revoked_at ? ('revoked' as const) : ('active' as const),
    created_at: k.created_at,
    revoked_at: k.revoked_at,
    rate_limit_per_minute: k.limits.rateLimitPerMinute,
    max_concurrent_jobs: k.limits.maxConcurrentJobs,
    monthly_budget_usd: k.limits.monthlyBudgetUsd,
  };
}

function requireAdmin(request: FastifyRequest): void {
  if (principalOf(request).scope !== 'admin') throw new ApiError('Forbidden', 'This route needs an admin key');
}

const keyNotFound = (id: string) => new ApiError('NotFound', `Key ${redactedClip(id, 40)} not found`);

export async function keyRoutes(app: FastifyInstance, options: KeyRoutesOptions): Promise<void> {
  const { keys } = options;

  app.get('/v1/keys', { schema: listKeysSchema }, async (request) => {
    requireAdmin(request);
    return { keys: (await keys.list()).map(keyView) };
  });

  app.post('/v1/keys/:id/revoke', { schema: revokeKeySchema }, async (request) => {
    requireAdmin(request);
    parseRequestPart(cancelBodySchema, request.body, 'body'); // no body, or {}, as for a cancel
    const parsed = keyIdParamsSchema.safeParse(request.params);
    const raw = String((request.params as { id?: unknown }).id);
    if (!parsed.success) throw keyNotFound(raw);
    const { id } = parsed.data;
    const result = await keys.revoke(id, revokeGuard(options.config.security));
    if (result.outcome === 'not_found') throw keyNotFound(id);
    const refusal = revokeRefusal(result);
    if (refusal) throw new ApiError('Conflict', refusal, { key_id: id, reason: result.outcome });
    if (result.outcome === 'revoked') {
      audit(options.logger, 'key.revoked', {
        key_id: id,
        name: result.key.name,
        by: principalOf(request).keyId,
        request_id: request.id,
      });
    }
    options.revocations?.revoked(id);
    return keyView(result.key);
  });
}
