// GET /v1/models: the models this server can render with the credentials it has, in OpenAI's list
// shape (the official SDKs' models.list() reads it) with ttv's capability fields. Registered inside
// the bearer-protected v1 context, so auth and rate limits are those of the other /v1 reads; errors
// use OpenAI's envelope, as on /v1/videos.
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../../config/schema.js';
import { modelList, type ModelList } from '../../catalog/model-listing.js';
import { knownBackends } from '../../generators/registry.js';
import { useOpenAiErrors } from '../openai/openai-errors.js';
import { listModelsSchema } from '../route-schemas.js';

export async function modelRoutes(app: FastifyInstance, options: { config: AppConfig; bodyLimit: number }): Promise<void> {
  const { config } = options;
  useOpenAiErrors(app, options.bodyLimit);
  // Config and catalog are fixed for the life of the process: list once, on first use.
  let list: ModelList | null = null;
  app.get('/v1/models', { schema: listModelsSchema }, async () => {
    list ??= modelList(config, { renderable: knownBackends() });
    return list;
  });
}
