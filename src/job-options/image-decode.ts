// The second look at a first-frame image, after its size and signature (job-image.ts): ffprobe
// decodes it within the configured type and dimension caps (media/image-probe.ts). Anything that
// does not decode as what it claims to be is a 400 naming the field, before the job is queued.
import type { AppConfig } from '../config/schema.js';
import type { JobImageWithBytes } from '../jobs/stored-job-options.js';
import { Ffmpeg } from '../media/ffmpeg.js';
import { probeImage, type ImageLimits } from '../media/image-probe.js';
import { ValidationError } from '../errors/validation-error.js';

export function imageLimits(config: AppConfig): ImageLimits {
  const s = config.server;
  return {
    types: s.image_types,
    maxWidth: s.max_image_width,
    maxHeight: s.max_image_height,
    maxPixels: s.max_image_pixels,
  };
}

/** Throws a 400 naming `field` and the problem, or `refusal()` when given (the words for a downloaded image). */
export async function requireDecodableImage(
  image: JobImageWithBytes,
  config: AppConfig,
  field: string,
  refusal?: () => Error,
): Promise<{ width: number; height: number }> {
  const verdict = await probeImage(
    Buffer.from(image.data_base64, 'base64'),
    Ffmpeg.fromConfig(config),
    imageLimits(config),
  );
  if (!verdict.ok) throw refusal ? refusal() : new ValidationError([{ field, message: verdict.problem }]);
  return { width: verdict.width, height: verdict.height };
}
