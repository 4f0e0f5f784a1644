// Request bodies are bounded by who sends them and where. The large limit (room for a first-frame
// image) holds only on a route that takes an image (its config says `imageBody`), for the content
// types that carry one (JSON, multipart), and for a principal allowed the `image` option; every
// other request gets server.body_limit_bytes. Decided in a preParsing hook of the encapsulated v1
// context, so after authentication (its onRequest hook) and before a byte of the body is read: a
// declared Content-Length over the limit is answered 413 at once, and a body of unknown length
// (chunked, HTTP/2) is cut off as soon as it passes the limit. The route's own bodyLimit (the large
// one) stays as Fastify's backstop.
import { Transform, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../errors/api-error.js';

export interface BodyLimitRouteConfig {
  /** This route may carry a first-frame image (POST /v1/jobs, POST /v1/videos). */
  imageBody?: boolean;
}

export interface BodyLimits {
  /** server.body_limit_bytes. */
  small: number;
  /** The limit of a request that may carry an image. */
  image: number;
  /** Whether the request's principal may send an image. */
  mayCarryImage(request: FastifyRequest): boolean;
}

const IMAGE_CARRIERS = new Set(['application/json', 'multipart/form-data']);
const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export function payloadTooLarge(limit: number): ApiError {
  return new ApiError(413, 'PayloadTooLarge', `Request body too large. Maximum size: ${limit} bytes`, { max_size: limit });
}

/** The body limit of this request. */
export function bodyLimitOf(request: FastifyRequest, limits: BodyLimits): number {
  if (limits.image <= limits.small) return limits.small;
  if (!(request.routeOptions.config as BodyLimitRouteConfig | undefined)?.imageBody) return limits.small;
  const raw = request.headers['content-type'];
  const type = typeof raw === 'string' ? raw.split(';', 1)[0]!.trim().toLowerCase() : '';
  if (!IMAGE_CARRIERS.has(type)) return limits.small;
  return limits.mayCarryImage(request) ? limits.image : limits.small;
}

/** Passes the body through, failing with 413 once more than `limit` bytes came. */
function capped(source: Readable, limit: number): Readable {
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      // Fastify's body reader checks this too (and compares it with Content-Length).
      (counter as Transform & { receivedEncodedLength?: number }).receivedEncodedLength = received;
      if (received > limit) callback(payloadTooLarge(limit));
      else callback(null, chunk);
    },
  });
  source.on('error', (err) => counter.destroy(err));
  // After a 413 the request is unpiped and Node discards the rest of it.
  return source.pipe(counter);
}

/** Call inside the encapsulated context whose routes read bodies (after its auth hook). */
export function registerBodyLimits(context: FastifyInstance, limits: BodyLimits): void {
  context.addHook('preParsing', async (request, _reply, payload) => {
    if (BODYLESS.has(request.method)) return payload;
    const limit = bodyLimitOf(request, limits);
    const declared = request.headers['content-length'];
    if (declared !== undefined) {
      // The HTTP parser delivers no more than Content-Length, so the declared size is the bound.
      if (Number(declared) > limit) throw payloadTooLarge(limit);
      return payload;
    }
    return capped(payload, limit);
  });
}
