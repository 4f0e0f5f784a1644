// POST /v1/videos as a job request: OpenAI's `model` picks a backend through openai_compat.models,
// `seconds` is the job's duration_seconds, `size` its aspect ratio (and its resolution where the
// backend takes one and the key may choose it), `input_reference` its first-frame image. Each is a
// per-job option, so the same allow-list (server.job_options) and backend checks apply; `model`
// counts as the `backend` option unless it names the default backend.
import type { z } from 'zod';
import type { AppConfig, JobOptionName } from '../../config/schema.js';
import type { JobRequest } from '../../jobs/job.js';
import { describeBackend } from '../../generators/backend-summary.js';
import { configuredModelRow } from '../../catalog/configured-models.js';
import { nearestAspect, renderedSizes } from '../../catalog/rendered-sizes.js';
import { normalizeBackendId } from '../../generators/registry.js';
import { createVideoBodySchema, parseRequestPart } from '../schemas.js';
import { ValidationError } from '../../errors/validation-error.js';
import { refuseDisallowed, storedOptions, type RawJobOptions } from '../../job-options/option-parsing.js';
import { formFile, formText } from '../multipart-body.js';
import { requireDecodableImage } from '../../job-options/image-decode.js';
import type { JobImageWithBytes } from '../../jobs/stored-job-options.js';

/** The OpenAI parameter of each job option, for refusals. */
const PARAM_OF: Partial<Record<JobOptionName, string>> = {
  duration_seconds: 'seconds',
  aspect_ratio: 'size',
  resolution: 'size',
  image: 'input_reference',
};

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/** The config section whose `resolution` picks the resolution a backend asks its vendor for. */
const RESOLUTION_SECTIONS: Record<string, 'google_veo' | 'minimax'> = { veo3: 'google_veo', minimax: 'minimax' };

function configuredResolution(config: AppConfig, backend: string): string | undefined {
  const section = RESOLUTION_SECTIONS[backend];
  return section ? (config[section] as { resolution?: string } | undefined)?.resolution : undefined;
}

/**
 * The models (openAiModels) a key may send as `model`, each with its backend: every model when the key
 * may choose a backend, else only those of the default backend.
 */
export function usableModels(config: AppConfig, allowed: ReadonlySet<JobOptionName>): Record<string, string> {
  const fallback = normalizeBackendId(config.default_backend);
  return Object.fromEntries(
    Object.entries(openAiModels(config)).filter(([, backend]) => allowed.has('backend') || backend === fallback),
  );
}

const modelsOf = (config: AppConfig, allowed: ReadonlySet<JobOptionName>) => Object.keys(usableModels(config, allowed));

/**
 * As on Sora, the first frame must have the video's shape: an image of another aspect ratio than
 * `size` would be cropped or letterboxed by the backend, silently. (1.5% leeway for even sizes.)
 */
async function requireImageFitsSize(image: JobImageWithBytes, size: string, config: AppConfig): Promise<void> {
  const { width, height } = await requireDecodableImage(image, config, 'input_reference');
  const [w, h] = size.split('x').map(Number) as [number, number];
  if (Math.abs(width / height - w / h) / (w / h) > 0.015) {
    throw new ValidationError([
      {
        field: 'input_reference',
        message: `is ${width}x${height}, which is not the shape of size ${size}; crop or resize the image to ${size} (or ask for a size of its shape)`,
      },
    ]);
  }
}

function fileIdRefused() {
  return new ValidationError([
    {
      field: 'input_reference',
      message:
        'file_id references are not supported: ttv has no Files API; upload the image as input_reference or pass {image_url} (an https or data: URL)',
    },
  ]);
}

/** Reads a JSON or multipart create body (the SDKs send multipart: fields, `input_reference` as a file part). */
export async function readVideoBody(
  body: unknown,
): Promise<{ fields: z.output<typeof createVideoBodySchema>; file: Buffer | undefined }> {
  let file: Buffer | undefined;
  if (body instanceof FormData) {
    const form = body;
    const out: Record<string, unknown> = {};
    const keys = new Set<string>();
    form.forEach((_v, key) => keys.add(key));
    for (const key of keys) {
      if (key === 'input_reference') {
        file = await formFile(form, key);
        if (!file) throw new ValidationError([{ field: 'input_reference', message: 'must be an uploaded image file' }]);
      } else if (key === 'input_reference[file_id]') {
        throw fileIdRefused();
      } else if (key === 'input_reference[image_url]') {
        out.input_reference = { image_url: formText(form, key) };
      } else {
        out[key] = formText(form, key) ?? null;
      }
    }
    body = out;
  }
  const reference = (body as { input_reference?: unknown } | null)?.input_reference;
  if (reference && typeof reference === 'object' && 'file_id' in reference) throw fileIdRefused();
  return { fields: parseRequestPart(createVideoBodySchema, body, 'body'), file };
}

/** The model every server offers on its offline backend, so that pasted SDK code runs on a default server. */
export const DEFAULT_OPENAI_MODEL = 'ttv-preview';
/** OpenAI's own model names: the server's default backend unless openai_compat.models maps them. */
export const SORA_MODELS = ['sora-2', 'sora-2-pro'] as const;

/**
 * The `model` names of this server and the backend each renders on: ttv-preview → procedural,
 * sora-2 / sora-2-pro → the default backend, then the operator's openai_compat.models over them.
 */
export function openAiModels(config: AppConfig): Record<string, string> {
  const fallback = normalizeBackendId(config.default_backend);
  return {
    [DEFAULT_OPENAI_MODEL]: 'procedural',
    ...Object.fromEntries(SORA_MODELS.map((m) => [m, fallback])),
    ...Object.fromEntries(Object.entries(config.openai_compat.models).map(([m, b]) => [m, normalizeBackendId(b)])),
  };
}

export async function videoJobRequest(
  input: Awaited<ReturnType<typeof readVideoBody>>,
  allowed: ReadonlySet<JobOptionName>,
  config: AppConfig,
): Promise<JobRequest> {
  const { fields, file } = input;
  const models = openAiModels(config);
  const raw: RawJobOptions = {};
  const sent: JobOptionName[] = [];
  if (fields.model !== undefined) {
    const backend = models[fields.model];
    if (!backend) {
      const known = Object.keys(models);
      throw new ValidationError([
        {
          field: 'model',
          message: `is not a model of this server (${known.length ? `allowed: ${known.join(', ')}` : 'openai_compat.models is empty; leave model out'})`,
        },
      ]);
    }
    raw.backend = normalizeBackendId(backend);
    // `model` picks a backend, so it is the `backend` option under another name: a model of the
    // default backend is always accepted, any other needs `backend` allowed for the key (a key that
    // may choose nothing must not reach a paid backend through `model`).
    if (raw.backend !== normalizeBackendId(config.default_backend) && !allowed.has('backend')) {
      const usable = modelsOf(config, allowed);
      throw new ValidationError([
        {
          field: 'model',
          message: `renders on ${raw.backend}, and this key may not choose a backend (the \`backend\` option is not allowed for it); ${usable.length ? `models it may use: ${usable.join(', ')}` : 'leave model out to use the default backend'}`,
        },
      ]);
    }
  }
  if (fields.seconds !== undefined) {
    raw.duration_seconds = Number(fields.seconds);
    sent.push('duration_seconds');
  }
  let sizeProblem: (() => void) | null = null;
  if (fields.size !== undefined) {
    const [w, h] = fields.size.split('x').map(Number) as [number, number];
    const d = gcd(w, h);
    const backend = raw.backend ?? normalizeBackendId(config.default_backend);
    // A backend that takes a resolution renders the asked size itself (procedural renders any); a
    // vendor model renders the sizes of its catalog row, or the nearest one where its row says so.
    const takesResolution = describeBackend(backend, config).resolution;
    const row = takesResolution ? undefined : configuredModelRow(config, backend);
    const withImage = Boolean(file || fields.input_reference);
    const nearest = row?.wire?.maps_size_to_nearest ? nearestAspect(row, withImage, w, h) : null;
    if (nearest) {
      raw.aspect_ratio = nearest;
    } else {
      if (row) {
        const sizes = renderedSizes(row, withImage, configuredResolution(config, backend) ?? row.resolutions?.[0]);
        if (!sizes.includes(fields.size)) {
          sizeProblem = () => {
            throw new ValidationError([
              {
                field: 'size',
                message: sizes.length
                  ? `${row.id} (${backend}) renders ${sizes.join(', ')}, not ${fields.size}; ask for one of those`
                  : `${row.id} (${backend}) names no pixel size in the catalog, so ${fields.size} cannot be promised; leave size out`,
              },
            ]);
          };
        }
      }
      if (w / d > 99 || h / d > 99)
        throw new ValidationError([
          { field: 'size', message: `${fields.size} has no simple aspect ratio (e.g. 1280x720, 720x1280)` },
        ]);
      raw.aspect_ratio = `${w / d}:${h / d}`;
    }
    sent.push('aspect_ratio');
    if (takesResolution) raw.resolution = fields.size;
  }
  if (file || fields.input_reference) {
    raw.image = file ?? fields.input_reference!.image_url;
    sent.push('image');
  }
  refuseDisallowed(sent, allowed, (name) => PARAM_OF[name as JobOptionName] ?? name);
  sizeProblem?.();
  const options = await storedOptions(raw, config);
  // At submission the image still has its bytes (they are dropped only when the job ends).
  const image = options.image;
  if (image?.data_base64 !== undefined && fields.size !== undefined)
    await requireImageFitsSize({ ...image, data_base64: image.data_base64 }, fields.size, config);
  const openai = {
    ...(fields.model !== undefined ? { model: fields.model } : {}),
    ...(fields.size !== undefined ? { size: fields.size } : {}),
    ...(fields.seconds !== undefined ? { seconds: String(fields.seconds) } : {}),
  };
  return { prompt: fields.prompt, ...(Object.keys(options).length ? { options } : {}), openai };
}
