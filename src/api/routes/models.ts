// GET /v1/models: the models this server can render with the credentials it has, in OpenAI's list
// shape (the official SDKs' models.list() reads it) with ttv's capability fields. Registered inside
// the bearer-protected v1 context, so auth and rate limits are those of the other /v1 reads; errors
// use OpenAI's envelope, as on /v1/videos.
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../../config/schema.js';
import { modelList, type ModelList } from '../../catalog/model-listing.js';
import { knownBackends } from '../../generators/registry.js';
import { useOpenAiErrors } from '../openai/openai-errors.js';
import { openAiModels } from '../openai/video-request.js';
import { configuredModelId } from '../../catalog/configured-models.js';
import { listModelsSchema } from '../route-schemas.js';

export async function modelRoutes(
  app: FastifyInstance,
  options: { config: AppConfig; bodyLimit: number },
): Promise<void> {
  const { config } = options;
  useOpenAiErrors(app, options.bodyLimit);
  // Config and catalog are fixed for the life of the process: list once, on first use.
  let list: ModelList | null = null;
  app.get('/v1/models', { schema: listModelsSchema }, async () => {
    list ??= withOpenAiNames(modelList(config, { renderable: knownBackends() }), config);
    return list;
  });
}

/**
 * The names POST /v1/videos takes as `model` (ttv-preview, sora-2, sora-2-pro and openai_compat.models),
 * each listed as the model it renders with, under its own id and with `maps_to` saying which.
 */
function withOpenAiNames(list: ModelList, config: AppConfig): ModelList {
  const named = Object.entries(openAiModels(config)).flatMap(([name, backend]) => {
    const target =
      backend === 'procedural'
        ? list.data.find((e) => e.backend === 'procedural')
        : (list.data.find((e) => e.backend === backend && e.id === configuredModelId(config, backend)) ??
          list.data.find((e) => e.backend === backend));
    return target ? [{ ...target, id: name, maps_to: { backend, model: target.id } }] : [];
  });
  return { ...list, data: [...list.data, ...named] };
}
