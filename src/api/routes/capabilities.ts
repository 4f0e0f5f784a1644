// GET /v1/capabilities: what a client may choose per job here: the options its key may send, and each
// backend's durations, aspect ratios, features and price, so that a client (the dashboard, the CLI)
// offers only what will be accepted.
import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '../../config/schema.js';
import { WEBHOOK_EVENTS } from '../../config/schema.js';
import { describeBackends, type BackendSummary } from '../../generators/backend-summary.js';
import { normalizeBackendId } from '../../generators/registry.js';
import { allowedFor } from '../job-submission.js';
import { openAiModels } from '../openai/video-request.js';
import { capabilitiesSchema } from '../route-schemas.js';

export async function capabilityRoutes(app: FastifyInstance, options: { config: AppConfig }): Promise<void> {
  const { config } = options;
  // Config is fixed for the life of the process: describe the backends once, on first use.
  let backends: BackendSummary[] | null = null;
  app.get('/v1/capabilities', { schema: capabilitiesSchema }, async (request) => {
    backends ??= describeBackends(config);
    return {
      job_options: [...allowedFor(config, request)],
      default_backend: normalizeBackendId(config.default_backend),
      default_segment_duration_seconds: config.segment_duration_seconds,
      generation_modes: ['keyframe', 'chaining'],
      max_image_bytes: config.server.max_image_bytes,
      fetch_image_urls: config.server.fetch_image_urls,
      webhook_events: [...WEBHOOK_EVENTS],
      backends,
      openai_models: openAiModels(config),
    };
  });
}
