// multipart/form-data bodies for the routes that take an uploaded image (POST /v1/jobs with the
// `image` option, POST /v1/videos, which the OpenAI SDKs always send as multipart). The body is
// already bounded (plugins/body-limits.ts) and its parts are counted first; the platform's own
// parser (undici's FormData, behind Response.formData) splits it, so no hand-written multipart parsing.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors/api-error.js';
import { ValidationError } from '../errors/validation-error.js';

export interface MultipartRouteConfig {
  /** This route accepts multipart/form-data bodies. */
  multipart?: boolean;
}

export interface MultipartLimits {
  /** server.max_multipart_parts. */
  maxParts: number;
}

/** The boundary parameter of a multipart Content-Type (1..70 characters, RFC 2046), or null. */
function boundaryOf(contentType: string): string | null {
  const match = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s"]{1,70}))(?:;|\s|$)/i.exec(contentType);
  return match ? (match[1] ?? match[2])! : null;
}

/**
 * Delimiter lines in the body, counted up to `stop`: a form of N parts has N + 1 (the closing one).
 * undici's FormData has no part limit and builds every part before we could count them (100k parts
 * held the event loop for seconds), so the parts are counted first on the raw bytes, with
 * Buffer.indexOf (native). Text that merely looks like the boundary inside a part only counts the
 * sender's own body higher.
 */
function delimiterCount(body: Buffer, boundary: string, stop: number): number {
  const delimiter = Buffer.from(`--${boundary}`, 'latin1');
  let count = 0;
  for (let at = body.indexOf(delimiter); at >= 0 && count < stop; at = body.indexOf(delimiter, at + delimiter.length))
    count += 1;
  return count;
}

export function registerMultipartParser(app: FastifyInstance, limits: MultipartLimits): void {
  app.addContentTypeParser(
    'multipart/form-data',
    { parseAs: 'buffer' },
    async (request: FastifyRequest, body: Buffer | string) => {
      if (!(request.routeOptions.config as MultipartRouteConfig | undefined)?.multipart) {
        throw new ApiError('UnsupportedMediaType', 'Content-Type must be application/json', {
          provided_type: 'multipart/form-data',
          supported_types: ['application/json'],
        });
      }
      const bytes = typeof body === 'string' ? Buffer.from(body) : body;
      const boundary = boundaryOf(String(request.headers['content-type']));
      // Without a boundary we could count by, the body is not split at all.
      if (!boundary)
        throw new ValidationError([
          { field: 'body', message: 'is not a valid multipart/form-data body (no boundary)' },
        ]);
      if (delimiterCount(bytes, boundary, limits.maxParts + 2) - 1 > limits.maxParts) {
        throw new ValidationError([
          { field: 'body', message: `has more than ${limits.maxParts} parts (server.max_multipart_parts)` },
        ]);
      }
      try {
        return await new Response(new Uint8Array(bytes), {
          headers: { 'content-type': String(request.headers['content-type']) },
        }).formData();
      } catch {
        throw new ValidationError([{ field: 'body', message: 'is not a valid multipart/form-data body' }]);
      }
    },
  );
}

/** A text field of a form, or undefined. */
export function formText(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  return typeof value === 'string' ? value : undefined;
}

/** A file part's bytes, or undefined when the field is absent or text. */
export async function formFile(form: FormData, name: string): Promise<Buffer | undefined> {
  const value = form.get(name);
  if (value === null || typeof value === 'string') return undefined;
  return Buffer.from(await value.arrayBuffer());
}
