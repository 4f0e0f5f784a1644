// Chooses the image provider from pipeline_config keys, as the Python project did:
// `image_generation_model` names the image model, routed by what it contains (gemini,
// openai/gpt-image/dall-e, stability/sd).
// A provider needs its key; without one the offline procedural provider is used and the job log says so.
import type { AppConfig } from '../config/schema.js';
import { ConfigError } from '../errors/config-error.js';
import type { Ffmpeg } from '../media/ffmpeg.js';
import type { ImageGenerator } from './types.js';
import { ProceduralImageGenerator } from './procedural/procedural-image-generator.js';
import { OpenAiImageGenerator } from './openai/openai-image-generator.js';
import { StabilityImageGenerator } from './stability/stability-image-generator.js';
import { GeminiImageGenerator } from './gemini/gemini-image-generator.js';
import { RewordingImageGenerator } from './reworded-retry.js';
import { remoteSettings } from '../generators/remote/remote-settings.js';

type Log = (message: string) => void;

/** The OpenAI image model an image_generation_model names: itself for gpt-image/dall-e ids, else gpt-image-1. */
export function openAiImageModelId(model: string): string {
  const name = model.trim().toLowerCase();
  return name.includes('gpt-image') || name.includes('dall-e') ? model.trim() : 'gpt-image-1';
}

export function createImageGenerator(config: AppConfig, ffmpeg: Ffmpeg, log: Log): ImageGenerator {
  const model = config.image_generation_model.trim();
  const name = model.toLowerCase();
  const common = { retry: remoteSettings(config), log };
  const offline = (provider: string, key: string) => {
    log(`No ${key} configured: ${provider} images replaced by the offline procedural images`);
    return new ProceduralImageGenerator(ffmpeg);
  };
  let provider: ImageGenerator;
  if (name === 'procedural') return new ProceduralImageGenerator(ffmpeg);
  if (name.includes('gemini')) {
    if (!config.gemini_api_key) return offline('Gemini', 'gemini_api_key');
    provider = new GeminiImageGenerator({
      apiKey: config.gemini_api_key,
      baseUrl: config.gemini_base_url,
      model,
      ...common,
    });
  } else if (/openai|gpt-image|dall-e/.test(name)) {
    if (!config.openai_api_key) return offline('OpenAI', 'openai_api_key');
    provider = new OpenAiImageGenerator({
      apiKey: config.openai_api_key,
      baseUrl: config.openai_base_url,
      model: openAiImageModelId(model),
      ...(config.image_size ? { size: config.image_size } : {}),
      ...common,
    });
  } else if (/stability|(^|[^a-z])sd/.test(name)) {
    if (!config.stability_api_key) return offline('Stability', 'stability_api_key');
    provider = new StabilityImageGenerator({
      apiKey: config.stability_api_key,
      baseUrl: config.stability_base_url,
      engine: config.stability_engine,
      ffmpeg,
      ...common,
    });
  } else {
    throw new ConfigError([
      {
        key: 'image_generation_model',
        message: `"${model}" names no known provider (use procedural, or a gemini, openai/gpt-image or stability model)`,
      },
    ]);
  }
  return new RewordingImageGenerator(provider, {
    ...(config.openai_api_key
      ? { openai: { apiKey: config.openai_api_key, baseUrl: config.openai_base_url, model: 'gpt-4o-mini' } }
      : {}),
    log,
  });
}
