// @fastify/swagger options: the document is built from the route schemas (route-schemas.ts), so what
// it says about parameters, bodies and answers is what the handlers check and send.
import type { SwaggerOptions } from '@fastify/swagger';
import { BEARER_SECURITY } from './route-schemas.js';

export interface OpenApiOptions {
  version: string;
  /** Bearer auth is on: operations marked with BEARER_SECURITY require it. */
  auth: boolean;
  /** The externally visible base URL, if configured; otherwise the document's own origin. */
  publicUrl: string | null;
}

export function openApiOptions(options: OpenApiOptions): SwaggerOptions {
  return {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'ttv API',
        version: options.version,
        description:
          'Text-to-video pipeline jobs. Errors use the envelope {error, message, details, timestamp, request_id, retryable}; a known path with a method it does not serve answers 405 with Allow.',
        license: { name: 'UNLICENSED', identifier: 'LicenseRef-UNLICENSED' },
      },
      servers: [{ url: options.publicUrl ?? '/', description: options.publicUrl ? 'Public URL' : 'This server' }],
      tags: [
        { name: 'jobs', description: 'Video jobs' },
        { name: 'models', description: 'The model catalog' },
        { name: 'keys', description: 'API keys (admin keys only)' },
        { name: 'health', description: 'Liveness, readiness and metrics' },
        { name: 'meta', description: 'Dashboard and documents' },
      ],
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'security.auth_token' } },
      },
    },
    hideUntagged: false,
    transform: ({ schema, url }) => {
      if (!schema) return { schema, url };
      const s = schema as Record<string, unknown>;
      // Without a token the /v1 routes are open too: say so rather than ask for a token nobody checks.
      const security = Array.isArray(s.security) && s.security.length > 0 && options.auth ? BEARER_SECURITY : [];
      return { schema: { ...schema, security } as typeof schema, url };
    },
  };
}
