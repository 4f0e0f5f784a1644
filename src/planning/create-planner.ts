// Chooses the planner from `prompt_enhancement_model`: the chat model that writes the segment
// prompts, or `procedural`. Without an OpenAI key the offline procedural planner is used and the job
// log says so.
import type { AppConfig } from '../config/schema.js';
import { remoteSettings } from '../generators/remote/remote-settings.js';
import { OpenAiPlanner } from './openai-planner.js';
import { ProceduralPlanner } from './procedural-planner.js';
import type { Planner } from './types.js';

export function createPlanner(config: AppConfig, log: (message: string) => void): Planner {
  const model = config.prompt_enhancement_model.trim();
  if (model.toLowerCase() === 'procedural') return new ProceduralPlanner(config.procedural.max_segments);
  if (!config.openai_api_key) {
    log(`No OpenAI key configured: planning with the offline procedural planner instead of ${model}`);
    return new ProceduralPlanner(config.procedural.max_segments);
  }
  return new OpenAiPlanner({
    apiKey: config.openai_api_key,
    baseUrl: config.openai_base_url,
    model,
    retry: remoteSettings(config),
    log,
  });
}

/** The number of segments every plan of this config has, when it is fixed: 1 for the offline planner capped at one segment; else null. */
export function fixedPlanSegments(config: AppConfig): number | null {
  const offline = config.prompt_enhancement_model.trim().toLowerCase() === 'procedural' || !config.openai_api_key;
  return offline && config.procedural.max_segments === 1 ? 1 : null;
}
