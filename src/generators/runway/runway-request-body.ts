// The create body of one Runway task, spelled as the model's own @runwayml/sdk params type wants it
// (ImageToVideoCreateParams / TextToVideoCreateParams are unions with a member per model, and the
// members differ): which ratio goes on the wire (a pixel size, an aspect, a fixed value such as
// 'adaptive' or 'auto_720p' when the clip follows the frame, or none at all), whether a resolution
// is sent and in which mode, and how frames are given. Everything model-specific comes from the
// model's catalog row (src/catalog/vendors/runway.json).
import type { CatalogRow } from '../../config/catalog-row-schema.js';
import { ratiosFor, wireRatio } from '../../catalog/model-rules.js';

export interface RunwayBodyInput {
  prompt: string;
  durationSeconds: number;
  aspectRatio?: string;
  /** Data URIs of the frames, when the clip starts from an image. */
  firstFrame?: string;
  lastFrame?: string;
  /** runway_ml.default_ratio: the wire ratio used when no aspect is asked and the mode offers it. */
  defaultRatio?: string;
  seed?: number | null;
}

export interface RunwayBody {
  endpoint: 'image_to_video' | 'text_to_video';
  body: Record<string, unknown>;
  /** The ratio sent, if any (for the job log). */
  ratio?: string;
}

export function runwayRequestBody(row: CatalogRow, input: RunwayBodyInput): RunwayBody {
  const mode = input.firstFrame ? 'image' : 'text';
  const wire = row.wire ?? {};
  const body: Record<string, unknown> = { model: row.id, promptText: input.prompt, duration: input.durationSeconds };
  const offered = ratiosFor(row, mode);
  let ratio: string | undefined;
  if (offered === 'follows-image') {
    ratio = wire.follows_image_ratio;
  } else if (offered) {
    // No aspect asked: runway_ml.default_ratio when this mode offers it, else the mode's first.
    ratio =
      !input.aspectRatio && input.defaultRatio && Object.values(offered).includes(input.defaultRatio)
        ? input.defaultRatio
        : wireRatio(row, mode, input.aspectRatio);
  }
  // An empty wire value: the model takes no ratio (its clip has one shape).
  if (ratio) body.ratio = ratio;
  const resolution = row.resolutions?.[0];
  if (wire.resolution_field && resolution && (wire.resolution_modes ?? ['text', 'image']).includes(mode))
    body[wire.resolution_field] = resolution;
  if (wire.seed_field && input.seed !== null && input.seed !== undefined) body[wire.seed_field] = input.seed;
  if (input.firstFrame) {
    body.promptImage =
      input.lastFrame && row.modes.first_last
        ? [
            { uri: input.firstFrame, position: 'first' },
            { uri: input.lastFrame, position: 'last' },
          ]
        : input.firstFrame;
  }
  return { endpoint: mode === 'image' ? 'image_to_video' : 'text_to_video', body, ratio: ratio || undefined };
}
