// What in a configuration would make its jobs fail or behave otherwise than asked, found before any
// job runs: `ttv config check` prints it, and `ttv serve` / `ttv worker` refuse to start on an error.
// The backend chain's own checks (registry.ts), then what only the whole pipeline knows: whether the
// default backend can run generation_mode, whether the image provider can make the frames the mode
// needs, and the vendors' polling floors that will raise remote_api_settings.polling_interval.
import type { AppConfig } from '../config/schema.js';
import type { ConfigIssue } from '../errors/config-error.js';
import type { ModelLifecycleWarning } from '../catalog/configured-models.js';
import { backendConfigIssues, backendOrder, createVideoGenerator } from '../generators/registry.js';
import { modelSetting } from '../generators/model-setting.js';
import { openAiImageModelId } from '../images/providers.js';
import { openAiImageModel, openAiSizeProblem } from '../images/openai/openai-image-models.js';
import { parseSize } from '../media/frame-geometry.js';
import { modeProblem } from './modes/mode-problems.js';
import { fixedPlanSegments } from '../planning/create-planner.js';

export interface ConfigProblems {
  errors: ConfigIssue[];
  warnings: string[];
  /** The chain's models near their shutdown (registry.ts), for /readyz. */
  modelWarnings: ModelLifecycleWarning[];
}

export function pipelineConfigIssues(config: AppConfig): ConfigProblems {
  const { errors, warnings, modelWarnings } = backendConfigIssues(config);
  // A default backend that cannot be built has its error already; its mode cannot be judged.
  if (errors.length === 0) {
    const caps = createVideoGenerator(config.default_backend, config).capabilities();
    const problem = modeProblem(
      config.generation_mode,
      config.default_backend,
      caps,
      fixedPlanSegments(config),
      modelSetting(config, config.default_backend),
    );
    if (problem) errors.push({ key: 'generation_mode', message: problem });
  }
  const image = imageModeProblem(config, config.generation_mode);
  if (image) errors.push({ key: 'image_generation_model', message: image });
  const size = imageSizeProblem(config);
  if (size) errors.push({ key: 'image_size', message: size });
  if (errors.length === 0) warnings.push(...pollFloorWarnings(config));
  return { errors, warnings, modelWarnings };
}

/** The OpenAI image model jobs will use, or null when images come from elsewhere (or offline, without a key). */
function openAiModel(config: AppConfig): string | null {
  const name = config.image_generation_model.trim().toLowerCase();
  if (
    name === 'procedural' ||
    name.includes('gemini') ||
    !/openai|gpt-image|dall-e/.test(name) ||
    !config.openai_api_key
  )
    return null;
  return openAiImageModelId(config.image_generation_model);
}

/**
 * Why the image provider cannot make the frames `mode` needs, or null. Keyframe mode makes every
 * keyframe image-to-image from the one before; a DALL·E model cannot (openai-image-models.ts).
 */
export function imageModeProblem(config: AppConfig, mode: 'keyframe' | 'chaining'): string | null {
  const model = openAiModel(config);
  if (mode !== 'keyframe' || !model || openAiImageModel(model).imageToImage) return null;
  return (
    `${model} cannot continue a keyframe from the previous one (OpenAI has no edit for dall-e-3, and dall-e-2's edit only repaints transparent areas), ` +
    'and generation_mode keyframe needs that for every keyframe: use gpt-image-1 (or a gemini or stability model), or generation_mode chaining'
  );
}

function imageSizeProblem(config: AppConfig): string | null {
  const model = openAiModel(config);
  if (!model || !config.image_size) return null;
  const problem = openAiSizeProblem(openAiImageModel(model), parseSize(config.image_size));
  return problem
    ? `${config.image_size} ${problem} (${model}); leave image_size out to get the size nearest each job's aspect`
    : null;
}

/** One warning per backend of the chain whose vendor floor raises remote_api_settings.polling_interval. */
function pollFloorWarnings(config: AppConfig): string[] {
  const r = config.remote_api_settings;
  if (r.polling_interval_floor_override) return [];
  return backendOrder(config).flatMap((id) => {
    let floor;
    try {
      floor = createVideoGenerator(id, config).pollFloor;
    } catch {
      return []; // a fallback that cannot be built has its own warning
    }
    if (!floor || r.polling_interval >= floor.seconds) return [];
    return [
      `remote_api_settings.polling_interval ${r.polling_interval} s is below ${id}'s polling floor: ${id} polls every ${floor.seconds} s (${floor.source}); ` +
        'remote_api_settings.polling_interval_floor_override: true lifts the floors, for a base_url that is not the vendor itself',
    ];
  });
}
