// Bearer authentication for the v1 context: registered as that encapsulated context's onRequest
// hook, so it guards exactly the routes the router matched there, whatever spelling of the path
// reached the router. OPTIONS preflights pass (CORS answers them). The resolved principal is
// attached to the request for ownership checks and per-key limits.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/api-error.js';
import { ANONYMOUS_PRINCIPAL, type Principal } from '../../access/principal.js';
import type { AuthFailureLimit } from './auth-failure-limit.js';
import type { Authenticator } from '../../access/authenticator.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const CHALLENGE = { 'www-authenticate': 'Bearer realm="ttv"' };
const INVALID = { 'www-authenticate': 'Bearer realm="ttv", error="invalid_token"' };

/** Adds the request.principal slot (once, at the root). */
export function decoratePrincipal(app: FastifyInstance): void {
  app.decorateRequest('principal', null);
}

/** The secret of an `Authorization: Bearer …` header (maybe empty), or null when there is no such header. */
function bearerSecret(header: string | string[] | undefined): string | null {
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : null;
}

/**
 * Call inside the encapsulated context whose routes need a key. With `failures`, a presented key that
 * fails counts against the client's address, and an address past its budget gets 429 (auth-failure-limit.ts).
 */
export function requireAuth(context: FastifyInstance, auth: Authenticator, failures?: AuthFailureLimit): void {
  const authenticate = async (request: FastifyRequest, required: boolean, presented: string | null): Promise<void> => {
    if (!required) {
      // Open: no key existed when last counted (counts are cached ~1 s). A presented key that
      // resolves is honoured at once, so the first key created counts before that count catches up.
      request.principal = (presented ? await auth.resolve(presented) : null) ?? ANONYMOUS_PRINCIPAL;
      return;
    }
    if (presented === null) {
      auth.denied?.(request, 'missing');
      throw new ApiError('Unauthorized', 'Missing or invalid authorization header', null, { headers: CHALLENGE });
    }
    failures?.assertNotLockedOut(request);
    const principal = presented ? await auth.resolve(presented) : null;
    if (!principal) {
      auth.denied?.(request, 'invalid');
      await failures?.recordFailure(request);
      throw new ApiError('Unauthorized', 'Invalid authentication token', null, { headers: INVALID });
    }
    request.principal = principal;
  };
  const proceed = (request: FastifyRequest, required: boolean, done: (err?: Error) => void): void => {
    const presented = bearerSecret(request.headers.authorization);
    if (!required && presented === null) {
      request.principal = ANONYMOUS_PRINCIPAL;
      return done();
    }
    authenticate(request, required, presented).then(
      () => done(),
      (err: unknown) => done(err as Error),
    );
  };
  // Callback-style, so that an open server's request (no key, nothing to resolve) goes on at once
  // while required() is known (no promise, no closure per request), instead of awaiting a hook's own.
  context.addHook('onRequest', (request, _reply, done) => {
    if (request.method === 'OPTIONS') return done();
    const required = auth.required();
    if (typeof required === 'boolean') return proceed(request, required, done);
    required.then(
      (known) => proceed(request, known, done),
      (err: unknown) => done(err as Error),
    );
  });
}
