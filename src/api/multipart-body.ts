// multipart/form-data bodies for the routes that take an uploaded image (POST /v1/jobs with the
// `image` option, POST /v1/videos, which the OpenAI SDKs always send as multipart). The body is
// already bounded by the route's bodyLimit; the platform's own parser (undici's FormData, behind
// Response.formData) splits it, so no hand-written multipart parsing.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors/api-error.js';
import { validationError } from './errors/validation-error.js';

export interface MultipartRouteConfig {
  /** This route accepts multipart/form-data bodies. */
  multipart?: boolean;
}

export function registerMultipartParser(app: FastifyInstance): void {
  app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, async (request: FastifyRequest, body: Buffer | string) => {
    if (!(request.routeOptions.config as MultipartRouteConfig | undefined)?.multipart) {
      throw new ApiError(415, 'UnsupportedMediaType', 'Content-Type must be application/json', { provided_type: 'multipart/form-data', supported_types: ['application/json'] });
    }
    try {
      return await new Response(typeof body === 'string' ? body : new Uint8Array(body), { headers: { 'content-type': String(request.headers['content-type']) } }).formData();
    } catch {
      throw validationError([{ field: 'body', message: 'is not a valid multipart/form-data body' }]);
    }
  });
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
