// Extend and remix as job requests: a new job over a finished one. Extend (POST /v1/videos/extensions)
// renders `seconds` more from the source's last frame and the pipeline stitches source + new part;
// remix (POST /v1/videos/{id}/remix) renders the source's settings with a new prompt from its first
// frame. Both keep the source's options (its backend, aspect, size; never its first-frame image).
// Extend also takes an uploaded MP4 as its source (the SDK's `video` as a file): it is probed, kept
// in the job's request like a first-frame image (so a retry reads it again; its bytes are dropped
// when the job ends), and extended on the server's default backend at the upload's size.
import { z } from 'zod';
import type { AppConfig, JobOptionName } from '../../config/schema.js';
import type { JobRecord, JobRequest } from '../../jobs/job.js';
import type { JobOptions } from '../../jobs/stored-job-options.js';
import { ValidationError } from '../../errors/validation-error.js';
import { refuseDisallowed } from '../../job-options/option-parsing.js';
import { formFile, formText } from '../multipart-body.js';
import { describeBackend } from '../../generators/backend-summary.js';
import { normalizeBackendId } from '../../generators/registry.js';
import { parseRequestPart, promptSchema } from '../schemas.js';

const secondsSchema = z
  .union([z.string().regex(/^[0-9]{1,3}(\.[0-9]{1,3})?$/), z.number().min(0).max(600)], {
    error: 'must be a number of seconds, e.g. "4"',
  })
  .transform(Number)
  .refine((n) => n > 0, 'must be above 0');

const extendBodySchema = z.strictObject(
  {
    prompt: promptSchema,
    seconds: secondsSchema,
    video: z.strictObject(
      { id: z.string({ error: 'must be a string' }).min(1) },
      { error: 'must be {id} of a completed video' },
    ),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown parameter' : 'must be a JSON object') },
);

const remixBodySchema = z.strictObject(
  { prompt: promptSchema },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown parameter' : 'must be a JSON object') },
);

/** Form fields (`video[id]`, as the SDKs send nested objects) → the JSON shape; `video` as a file part is the upload. */
async function fromForm(
  form: FormData,
  uploads: boolean,
): Promise<{ fields: Record<string, unknown>; upload: Buffer | undefined }> {
  const fields: Record<string, unknown> = {};
  let upload: Buffer | undefined;
  const keys = new Set<string>();
  form.forEach((_v, key) => keys.add(key));
  for (const key of keys) {
    if (key === 'video' && uploads) {
      upload = await formFile(form, key);
      if (!upload)
        throw new ValidationError([
          { field: 'video', message: 'must be {id} of a completed video, or an uploaded MP4 file' },
        ]);
    } else if (key === 'video') {
      throw new ValidationError([{ field: 'video', message: 'must be {id} of a completed video of this server' }]);
    } else if (key === 'video[id]') fields.video = { id: formText(form, key) };
    else fields[key] = formText(form, key) ?? null;
  }
  return { fields, upload };
}

const videoParamProblem = () =>
  new ValidationError([
    {
      field: 'video',
      message: 'must be {id} of a completed video (JSON), or an uploaded MP4 file (multipart/form-data)',
    },
  ]);

export type ExtendBody = Omit<z.output<typeof extendBodySchema>, 'video'> &
  ({ video: { id: string }; upload?: undefined } | { video?: undefined; upload: Buffer });

export async function readExtendBody(body: unknown): Promise<ExtendBody> {
  let upload: Buffer | undefined;
  if (body instanceof FormData) ({ fields: body, upload } = await fromForm(body, true));
  const video = (body as { video?: unknown } | null)?.video;
  if (upload) {
    if (video !== undefined)
      throw new ValidationError([{ field: 'video', message: 'give either an uploaded video or video[id], not both' }]);
    const { prompt, seconds } = parseRequestPart(extendBodySchema.omit({ video: true }), body, 'body');
    return { prompt, seconds, upload };
  }
  if (video !== undefined && (typeof video !== 'object' || video === null)) throw videoParamProblem();
  return parseRequestPart(extendBodySchema, body, 'body');
}

export async function readRemixBody(body: unknown): Promise<z.output<typeof remixBodySchema>> {
  return parseRequestPart(
    remixBodySchema,
    body instanceof FormData ? (await fromForm(body, false)).fields : body,
    'body',
  );
}

/** 400 (param `video`) unless the source finished with a stored file. */
function finishedSource(source: JobRecord, field: string): string {
  if (source.status !== 'finished' || !source.artifact_key) {
    throw new ValidationError([
      {
        field,
        message: `video ${source.id} is not completed (status: ${source.status}); only a completed video can be used`,
      },
    ]);
  }
  return source.artifact_key;
}

/** The source's options, minus what a derived job must not inherit (its image, its webhook). */
function inheritedOptions(source: JobRecord, renderedSize: string | null): JobOptions {
  const { image: _image, webhook: _webhook, ...rest } = source.request.options ?? {};
  // The new part renders at the source's actual size, so that the stitched file is one size.
  return { ...rest, ...(renderedSize && rest.resolution ? { resolution: renderedSize } : {}) };
}

export interface SourceFacts {
  /** The source file's rendered size ("1280x720") and length, when it could be probed. */
  size: string | null;
  seconds: number | null;
}

export function extendJobRequest(
  source: JobRecord,
  body: { prompt: string; seconds: number },
  facts: SourceFacts,
  allowed: ReadonlySet<JobOptionName>,
  config: AppConfig,
): JobRequest {
  const key = finishedSource(source, 'video');
  refuseDisallowed(['duration_seconds'], allowed, () => 'seconds');
  const options: JobOptions = { ...inheritedOptions(source, facts.size), duration_seconds: body.seconds };
  delete options.segment_duration_seconds;
  const sourceSeconds = facts.seconds ?? source.request.options?.duration_seconds ?? config.segment_duration_seconds;
  const model = source.request.openai?.model;
  return {
    prompt: body.prompt,
    options,
    openai: {
      ...(model ? { model } : {}),
      ...(facts.size ? { size: facts.size } : {}),
      seconds: String(Math.round(sourceSeconds + body.seconds)),
    },
    source: { job_id: source.id, artifact_key: key, use: 'extend' },
  };
}

export function remixJobRequest(source: JobRecord, prompt: string): JobRequest {
  const key = finishedSource(source, 'video_id');
  const options = inheritedOptions(source, null);
  return {
    prompt,
    ...(Object.keys(options).length ? { options } : {}),
    ...(source.request.openai ? { openai: source.request.openai } : {}),
    source: { job_id: source.id, artifact_key: key, use: 'remix' },
  };
}

/** An uploaded video, probed (uploaded-video.ts): its bytes and what ffprobe read from them. */
export interface UploadedSource {
  bytes: Buffer;
  sha256: string;
  width: number;
  height: number;
  seconds: number;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

/**
 * Extending an uploaded video: the server's default backend renders `seconds` more at the upload's
 * size where it takes a resolution (procedural), else at the upload's aspect ratio where it renders
 * that one (the stitch scales a part of another size to the first's). `model` is not a parameter
 * of extend, so no backend choice is made for the client.
 */
export function uploadExtendJobRequest(
  upload: UploadedSource,
  body: { prompt: string; seconds: number },
  allowed: ReadonlySet<JobOptionName>,
  config: AppConfig,
): JobRequest {
  refuseDisallowed(['duration_seconds'], allowed, () => 'seconds');
  refuseDisallowed(['image'], allowed, () => 'video');
  const backend = describeBackend(normalizeBackendId(config.default_backend), config);
  const { width: w, height: h } = upload;
  const d = gcd(w, h);
  const aspect = `${w / d}:${h / d}`;
  const options: JobOptions = { duration_seconds: body.seconds };
  const evenInBounds = w % 2 === 0 && h % 2 === 0 && w >= 16 && h >= 16 && w <= 3840 && h <= 2160;
  if (backend.resolution && evenInBounds) options.resolution = `${w}x${h}`;
  else if (w / d <= 99 && h / d <= 99 && (!backend.aspect_ratios || backend.aspect_ratios.includes(aspect)))
    options.aspect_ratio = aspect;
  return {
    prompt: body.prompt,
    options,
    openai: { size: `${w}x${h}`, seconds: String(Math.round(upload.seconds + body.seconds)) },
    source: {
      job_id: null,
      artifact_key: null,
      use: 'extend',
      upload: { bytes: upload.bytes.length, sha256: upload.sha256, data_base64: upload.bytes.toString('base64') },
    },
  };
}
