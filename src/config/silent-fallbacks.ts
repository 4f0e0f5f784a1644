// What a job would quietly do differently from what the configuration asks, foreseen from the
// configuration alone, for `ttv config check`: providers named without their key run offline.
import type { AppConfig } from './schema.js';

export function silentFallbacks(config: AppConfig): string[] {
  const out: string[] = [];
  const planner = config.prompt_enhancement_model.trim();
  if (planner.toLowerCase() !== 'procedural' && !config.openai_api_key) {
    out.push(
      `prompt_enhancement_model: ${planner} needs openai_api_key (or OPENAI_API_KEY); every job will plan with the offline procedural planner`,
    );
  }
  const image = config.image_generation_model.trim();
  const name = image.toLowerCase();
  const need = name.includes('gemini')
    ? ['gemini_api_key', config.gemini_api_key]
    : /openai|gpt-image|dall-e/.test(name)
      ? ['openai_api_key', config.openai_api_key]
      : /stability|(^|[^a-z])sd/.test(name)
        ? ['stability_api_key', config.stability_api_key]
        : null;
  if (need && !need[1]) {
    out.push(
      `image_generation_model: ${image} needs ${need[0]}; every job will use the offline procedural images instead`,
    );
  }
  return out;
}
