// A job's first-frame image from what a client sent: a multipart file part, a data URI, or (only with
// server.fetch_image_urls, public hosts only) an http(s) URL the server downloads (image-url.ts). The bytes must be a
// PNG, JPEG or WebP image (checked by their signature, not the declared type) within the size cap.
import { createHash } from 'node:crypto';
import type { JobImageType, JobImageWithBytes } from '../jobs/stored-job-options.js';
import { downloadImageUrl, imageUrlProblem } from './image-url.js';
import { ValidationError } from '../errors/validation-error.js';

export interface ImageRules {
  maxBytes: number;
  fetchUrls: boolean;
  /** Field name in errors (options.image, input_reference). */
  field: string;
}

function sniff(bytes: Uint8Array): JobImageType | null {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47)
    return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (
    bytes.length >= 12 &&
    Buffer.from(bytes.subarray(0, 4)).toString('latin1') === 'RIFF' &&
    Buffer.from(bytes.subarray(8, 12)).toString('latin1') === 'WEBP'
  )
    return 'image/webp';
  return null;
}

export function imageFromBytes(bytes: Buffer, rules: ImageRules): JobImageWithBytes {
  if (bytes.length === 0) throw new ValidationError([{ field: rules.field, message: 'is empty' }]);
  if (bytes.length > rules.maxBytes)
    throw new ValidationError([
      { field: rules.field, message: `is larger than ${rules.maxBytes} bytes (server.max_image_bytes)` },
    ]);
  const type = sniff(bytes);
  if (!type) throw new ValidationError([{ field: rules.field, message: 'must be a PNG, JPEG or WebP image' }]);
  return {
    content_type: type,
    data_base64: bytes.toString('base64'),
    bytes: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
}

const DATA_URI = /^data:(image\/[a-z0-9.+-]+)?(;[a-z0-9=.+-]+)*;base64,([A-Za-z0-9+/=\s]+)$/i;

export async function imageFromString(value: string, rules: ImageRules): Promise<JobImageWithBytes> {
  const data = DATA_URI.exec(value);
  if (data) {
    // Base64 grows 4/3: refuse by length before decoding a huge string.
    if (data[3]!.length > Math.ceil((rules.maxBytes * 4) / 3) + 4)
      throw new ValidationError([
        { field: rules.field, message: `is larger than ${rules.maxBytes} bytes (server.max_image_bytes)` },
      ]);
    return imageFromBytes(Buffer.from(data[3]!, 'base64'), rules);
  }
  if (!/^https?:\/\//i.test(value))
    throw new ValidationError([{ field: rules.field, message: 'must be a data URI (data:image/png;base64,…)' }]);
  if (!rules.fetchUrls)
    throw new ValidationError([
      {
        field: rules.field,
        message:
          'must be a data URI or an uploaded file; this server does not fetch image URLs (server.fetch_image_urls)',
      },
    ]);
  const bytes = await downloadImageUrl(value, { maxBytes: rules.maxBytes, field: rules.field });
  try {
    return imageFromBytes(bytes, rules);
  } catch {
    // What the remote content was stays unsaid.
    throw imageUrlProblem(rules.field, 'not_an_image', rules.maxBytes);
  }
}
