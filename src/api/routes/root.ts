// GET /: the dashboard page, or the service description for JSON clients.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { rootRouteSchema } from '../route-schemas.js';

const WEB_DIR = fileURLToPath(new URL('../../../web/', import.meta.url));

export async function rootRoutes(app: FastifyInstance, options: { version: string }): Promise<void> {
  // The dashboard's script and styles.
  await app.register(fastifyStatic, {
    root: WEB_DIR,
    prefix: '/web/',
    index: false,
    cacheControl: true,
    maxAge: 60_000,
    schemaHide: true,
  });
  const page = await readFile(`${WEB_DIR}index.html`, 'utf8').catch(
    () => '<!doctype html><title>ttv</title><p>ttv is running. See <a href="/docs">/docs</a>.</p>',
  );
  app.get('/', { schema: rootRouteSchema }, async (request, reply) => {
    const accept = request.headers.accept ?? '';
    if (accept.includes('application/json') && !accept.includes('text/html')) {
      // The Python server's name and description, so that its clients and probes recognise the service.
      return {
        name: 'TTV Pipeline API',
        version: options.version,
        description: 'REST API for text-to-video generation pipeline',
        docs_url: '/docs',
      };
    }
    return reply.type('text/html; charset=utf-8').send(page);
  });
}
