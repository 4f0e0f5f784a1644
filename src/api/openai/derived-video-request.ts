// Extend and remix as job requests: a new job over a finished one. Extend (POST /v1/videos/extensions)
// renders `seconds` more from the source's last frame and the pipeline stitches source + new part;
// remix (POST /v1/videos/{id}/remix) renders the source's settings with a new prompt from its first
// frame. Both keep the source's options (its backend, aspect, size; never its first-frame image).
import { z } from 'zod';
import type { AppConfig, JobOptionName } from '../../config/schema.js';
import type { JobRecord, JobRequest } from '../../jobs/job.js';
import type { JobOptions } from '../../jobs/job-options.js';
import { validationError } from '../errors/validation-error.js';
import { refuseDisallowed } from '../job-submission.js';
import { formText } from '../multipart-body.js';
import { parseRequestPart, promptSchema } from '../schemas.js';

const secondsSchema = z.union([z.string().regex(/^[0-9]{1,3}(\.[0-9]{1,3})?$/), z.number().min(0).max(600)], { error: 'must be a number of seconds, e.g. "4"' })
  .transform(Number).refine((n) => n > 0, 'must be above 0');

const extendBodySchema = z.strictObject({
  prompt: promptSchema,
  seconds: secondsSchema,
  video: z.strictObject({ id: z.string({ error: 'must be a string' }).min(1) }, { error: 'must be {id} of a completed video' }),
}, { error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown parameter' : 'must be a JSON object') });

const remixBodySchema = z.strictObject({ prompt: promptSchema }, { error: (issue) => (issue.code === 'unrecognized_keys' ? 'unknown parameter' : 'must be a JSON object') });

/** Form fields (`video[id]`, as the SDKs send nested objects) → the JSON shape; an uploaded video is refused. */
function fromForm(form: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = new Set<string>();
  form.forEach((_v, key) => keys.add(key));
  for (const key of keys) {
    if (key === 'video') throw uploadRefused();
    if (key === 'video[id]') out.video = { id: formText(form, key) };
    else out[key] = formText(form, key) ?? null;
  }
  return out;
}

function uploadRefused() {
  return validationError([{ field: 'video', message: 'an uploaded video is not supported: pass {id} of a completed video of this server' }]);
}

export function readExtendBody(body: unknown): z.output<typeof extendBodySchema> {
  if (body instanceof FormData) body = fromForm(body);
  const video = (body as { video?: unknown } | null)?.video;
  if (video !== undefined && (typeof video !== 'object' || video === null)) throw uploadRefused();
  return parseRequestPart(extendBodySchema, body, 'body');
}

export function readRemixBody(body: unknown): z.output<typeof remixBodySchema> {
  return parseRequestPart(remixBodySchema, body instanceof FormData ? fromForm(body) : body, 'body');
}

/** 400 (param `video`) unless the source finished with a stored file. */
function finishedSource(source: JobRecord, field: string): string {
  if (source.status !== 'finished' || !source.artifact_key) {
    throw validationError([{ field, message: `video ${source.id} is not completed (status: ${source.status}); only a completed video can be used` }]);
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

export function extendJobRequest(source: JobRecord, body: z.output<typeof extendBodySchema>, facts: SourceFacts, allowed: ReadonlySet<JobOptionName>, config: AppConfig): JobRequest {
  const key = finishedSource(source, 'video');
  refuseDisallowed(['duration_seconds'], allowed, () => 'seconds');
  const options: JobOptions = { ...inheritedOptions(source, facts.size), duration_seconds: body.seconds };
  delete options.segment_duration_seconds;
  const sourceSeconds = facts.seconds ?? source.request.options?.duration_seconds ?? config.segment_duration_seconds;
  const model = source.request.openai?.model;
  return {
    prompt: body.prompt,
    options,
    openai: { ...(model ? { model } : {}), ...(facts.size ? { size: facts.size } : {}), seconds: String(Math.round(sourceSeconds + body.seconds)) },
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
