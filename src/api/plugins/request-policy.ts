// The request path's own work, in three root hooks that read what was decided per route at startup
// (route-policy.ts), instead of a plugin and a hook per concern:
// - onRequest, first of all: a non-canonical request target (canonical-path.ts) never reaches the
//   open-mode guard, authentication, a rate limit or a handler;
// - onSend: the request id and the route's fixed security headers, after the handler (they win);
// - onResponse: the metrics and the access-log line.
// The rate limit is not here: it is a hook of each limited route, so that in v1 it runs after the
// context's authentication hook and counts against the key's own budget.
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../errors/api-error.js';
import type { AccessLog } from './access-log.js';
import { targetProblem } from './canonical-path.js';
import { clientProtocol } from './client-protocol.js';
import type { ApiMetrics } from './metrics.js';
import type { RoutePolicies } from './route-policy.js';
import { setSecurityHeaders } from './security-headers.js';

export interface RequestPolicyOptions {
  policies: RoutePolicies;
  metrics: ApiMetrics;
  accessLog: AccessLog;
  trustedProxies: readonly string[];
}

/** Call before any other onRequest hook is added (the canonical-path check must be the first). */
export function registerRequestPolicy(app: FastifyInstance, options: RequestPolicyOptions): void {
  const { policies, metrics, accessLog, trustedProxies } = options;

  app.addHook('onRequest', (request, _reply, done) => {
    const problem = targetProblem(request.raw.url ?? '');
    if (problem === null) return done();
    done(
      new ApiError('ValidationError', `Request target refused: ${problem}`, {
        field: 'url',
        reason: 'non_canonical_target',
      }),
    );
  });

  // Callback-style hooks: cheaper than async ones on every response.
  app.addHook('onSend', (request, reply, payload, done) => {
    setSecurityHeaders(request, reply, policies.of(request).headers[request.protocol === 'https' ? 1 : 0]);
    done(null, payload);
  });

  app.addHook('onResponse', (request, reply, done) => {
    const elapsedMs = reply.elapsedTime;
    const protocol = clientProtocol(request, trustedProxies);
    metrics.record(request.method, policies.of(request).route, reply.statusCode, elapsedMs / 1000, protocol);
    accessLog(request, reply, Math.round(elapsedMs * 100) / 100, protocol);
    done();
  });
}
