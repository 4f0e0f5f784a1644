// The input of one fal request, spelled as the endpoint's own input type in @fal-ai/client's
// EndpointTypeMap wants it: every endpoint names its fields its own way (image_url, start_image_url,
// first_frame_url; tail_image_url, end_image_url, last_frame_url; aspect_ratio or none), types
// `duration` its own way ("6", "8s", or none for a fixed-length endpoint) and may have a resolution
// field. All of it comes from the endpoint's catalog row (src/catalog/vendors/fal.json, `wire`).
import type { CatalogRow } from '../../config/catalog-row-schema.js';
import { wireRatio } from '../../catalog/model-rules.js';

/** The duration as the endpoint types it (its row's wire.duration_format). */
export function falDuration(model: CatalogRow, seconds: number): string | number {
  const format = model.wire?.duration_format ?? 'number';
  if (format === 'seconds-suffix') return `${seconds}s`;
  if (format === 'string') return String(seconds);
  return seconds;
}

export interface FalInputRequest {
  prompt: string;
  durationSeconds: number;
  aspectRatio?: string;
  /** Data URIs of the frames. */
  firstFrame?: string;
  lastFrame?: string;
}

/** The request's input; fal.default_input is laid under it (the operator's extra fields and choices). */
export function falRequestInput(
  row: CatalogRow,
  request: FalInputRequest,
  defaultInput: Record<string, unknown> = {},
): Record<string, unknown> {
  const wire = row.wire ?? {};
  const input: Record<string, unknown> = { ...defaultInput, prompt: request.prompt };
  // An endpoint that renders one fixed length has no duration field at all.
  if (row.duration_field) input.duration = falDuration(row, request.durationSeconds);
  const mode = request.firstFrame && row.modes.image ? 'image' : 'text';
  const ratio = wireRatio(row, mode, request.aspectRatio);
  if (wire.ratio_field && ratio) input[wire.ratio_field] = ratio;
  if (request.firstFrame && wire.image_field) input[wire.image_field] = request.firstFrame;
  if (request.firstFrame && request.lastFrame && row.modes.first_last && wire.last_frame_field)
    input[wire.last_frame_field] = request.lastFrame;
  // The resolution the row's price is for, unless the operator chose one in fal.default_input.
  const resolution = row.resolutions?.[0];
  if (wire.resolution_field && resolution && !(wire.resolution_field in defaultInput))
    input[wire.resolution_field] = resolution;
  return input;
}
