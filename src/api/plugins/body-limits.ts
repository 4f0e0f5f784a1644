// Request bodies are bounded by who sends them and where. The large limit (room for a first-frame
// image) holds only on a route that takes an image (its config says `imageBody`), for the content
// types that carry one (JSON, multipart), and for a principal allowed the `image` option; every
// other request gets server.body_limit_bytes. Decided in a preParsing hook of the encapsulated v1
// context, so after authentication (its onRequest hook) and before a byte of the body is read: a
// declared Content-Length over the limit is answered 413 at once, and a body of unknown length
// (chunked, HTTP/2) is cut off as soon as it passes the limit. A JSON body's shape (depth, entries:
// bounded-json.ts) is scanned as it arrives, so one that crosses a bound is answered 400 without
// being kept, joined or decoded. The route's own bodyLimit (the large one) stays as Fastify's backstop.
import { Transform, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../../errors/api-error.js';
import { ValidationError } from '../../errors/validation-error.js';
import { JsonShapeScanner, type JsonBounds } from '../bounded-json.js';

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
  /** Shape bounds of JSON bodies. */
  json: JsonBounds;
}

const IMAGE_CARRIERS = new Set(['application/json', 'multipart/form-data']);
const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
/** Requests whose JSON body was scanned while it arrived (the parser need not scan it again). */
const scannedBodies = new WeakSet<FastifyRequest>();

export function payloadTooLarge(limit: number): ApiError {
  return new ApiError('PayloadTooLarge', `Request body too large. Maximum size: ${limit} bytes`, { max_size: limit });
}

function mediaType(request: FastifyRequest): string {
  const raw = request.headers['content-type'];
  return typeof raw === 'string' ? raw.split(';', 1)[0]!.trim().toLowerCase() : '';
}

/** The body limit of this request. */
export function bodyLimitOf(
  request: FastifyRequest,
  limits: Pick<BodyLimits, 'small' | 'image' | 'mayCarryImage'>,
): number {
  if (limits.image <= limits.small) return limits.small;
  if (!(request.routeOptions.config as BodyLimitRouteConfig | undefined)?.imageBody) return limits.small;
  if (!IMAGE_CARRIERS.has(mediaType(request))) return limits.small;
  return limits.mayCarryImage(request) ? limits.image : limits.small;
}

/** True when this request's JSON body was scanned for its shape as it arrived. */
export function bodyShapeScanned(request: FastifyRequest): boolean {
  return scannedBodies.has(request);
}

/**
 * Passes the body through, failing with 413 once more than `limit` bytes came. A JSON body that
 * crosses a shape bound fails with 400 once it has arrived: the rest of it is read and dropped (it
 * is bounded by `limit`), not kept, so that the client, still sending, reads the answer (Fastify
 * closes the connection after a body it refused, and a client cut off mid-send sees only EPIPE).
 */
function inspected(source: Readable, limit: number, scanner: JsonShapeScanner | null): Readable {
  let received = 0;
  let refused: Error | null = null;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      // Fastify's body reader checks this too (and compares it with Content-Length).
      (counter as Transform & { receivedEncodedLength?: number }).receivedEncodedLength = received;
      if (received > limit) return callback(payloadTooLarge(limit));
      if (refused) return callback();
      const problem = scanner?.push(chunk);
      if (problem) {
        refused = new ValidationError([{ field: 'body', message: problem }]);
        return callback();
      }
      callback(null, chunk);
    },
    flush(callback) {
      callback(refused ?? undefined);
    },
  });
  source.on('error', (err) => counter.destroy(err));
  // After a refusal the request is unpiped and Node discards the rest of it.
  return source.pipe(counter);
}

/** Call inside the encapsulated context whose routes read bodies (after its auth hook). */
export function registerBodyLimits(context: FastifyInstance, limits: BodyLimits): void {
  // Callback-style: a read (no body) passes without a promise.
  context.addHook('preParsing', (request, _reply, payload, done) => {
    if (BODYLESS.has(request.method)) return done(null, payload);
    const limit = bodyLimitOf(request, limits);
    const declared = request.headers['content-length'];
    // The HTTP parser delivers no more than Content-Length, so the declared size is the bound.
    if (declared !== undefined && Number(declared) > limit) return done(payloadTooLarge(limit) as never);
    const json = mediaType(request) === 'application/json';
    if (declared !== undefined && !json) return done(null, payload);
    if (json) scannedBodies.add(request);
    done(null, inspected(payload, limit, json ? new JsonShapeScanner(limits.json) : null));
  });
}
