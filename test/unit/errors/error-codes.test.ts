// The error table (src/errors/error-codes.ts) against the classes and the HTTP mapping: every error
// class under src/errors/ raises a code of the table, every row names a class that raises it, and
// the API answers each code with the row's status.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isPublicCode, type ErrorCode } from '../../../src/errors/error-codes.js';
import { TtvError } from '../../../src/errors/ttv-error.js';
import { ApiError } from '../../../src/errors/api-error.js';
import { AllBackendsFailedError } from '../../../src/errors/all-backends-failed-error.js';
import { ApiClientError } from '../../../src/errors/api-client-error.js';
import { BudgetExceededError } from '../../../src/errors/budget-exceeded-error.js';
import { CanceledError } from '../../../src/errors/canceled-error.js';
import { CatalogFileError } from '../../../src/errors/catalog-file-error.js';
import { ConfigError } from '../../../src/errors/config-error.js';
import { DiskFullError } from '../../../src/errors/disk-full-error.js';
import { EdgeConfigError } from '../../../src/errors/edge-config-error.js';
import { GenerationError } from '../../../src/errors/generation-error.js';
import { ImageRefusedError } from '../../../src/errors/image-refused-error.js';
import { InvalidCursorError } from '../../../src/errors/invalid-cursor-error.js';
import { JobNotFoundError } from '../../../src/errors/job-not-found-error.js';
import { LeaseLostError } from '../../../src/errors/lease-lost-error.js';
import { OutboundRefusedError } from '../../../src/errors/outbound-refused-error.js';
import { PipelineError } from '../../../src/errors/pipeline-error.js';
import { PlanningError } from '../../../src/errors/planning-error.js';
import { ProcessError } from '../../../src/errors/process-error.js';
import { ProcessTimeoutError } from '../../../src/errors/process-timeout-error.js';
import { StoreSchemaTooNewError } from '../../../src/errors/store-schema-too-new-error.js';
import { QueueFullError } from '../../../src/errors/queue-full-error.js';
import { StartupError } from '../../../src/errors/startup-error.js';
import { StorageError } from '../../../src/errors/storage-error.js';
import { StoreUnavailableError } from '../../../src/errors/store-unavailable-error.js';
import { TaskGoneError } from '../../../src/errors/task-gone-error.js';
import { UnsafeBindError } from '../../../src/errors/unsafe-bind-error.js';
import { ValidationError } from '../../../src/errors/validation-error.js';
import { VendorError } from '../../../src/errors/vendor-error.js';
import { VendorOutcomeUnknownError } from '../../../src/errors/vendor-outcome-unknown-error.js';
import { toApiError } from '../../../src/api/plugins/error-handler.js';

const ERRORS_DIR = 'src/errors';
const BODY_LIMIT = 65536;

/** One instance of each error class of src/errors/, as its callers make it. A new class needs a line here. */
const SAMPLES: Record<string, () => TtvError> = {
  AllBackendsFailedError: () =>
    new AllBackendsFailedError('Segment 1 failed: fal: HTTP 500', { publicMessage: 'Segment 1 failed' }),
  ApiClientError: () => new ApiClientError(409, 'Conflict', 'Job x is already in terminal status: finished'),
  ApiError: () => new ApiError('Conflict', 'Job x is not in a terminal status'),
  BudgetExceededError: () => new BudgetExceededError(9.5, 1, 10),
  CanceledError: () => new CanceledError(),
  CatalogFileError: () => new CatalogFileError('vendors/fal.json is invalid'),
  ConfigError: () => new ConfigError([{ key: 'server.port', message: 'must be a port' }]),
  DiskFullError: () => new DiskFullError('/var/lib/ttv'),
  EdgeConfigError: () => new EdgeConfigError('server.quic_port: must be set to run the edge'),
  GenerationError: () => new GenerationError('fal', 'timeout', 'took too long', true),
  ImageRefusedError: () => new ImageRefusedError('Gemini', 'SAFETY'),
  InvalidCursorError: () => new InvalidCursorError(),
  JobNotFoundError: () => new JobNotFoundError('00000000-0000-4000-8000-000000000000'),
  LeaseLostError: () => new LeaseLostError('j1', 'lost'),
  OutboundRefusedError: () => new OutboundRefusedError('10.0.0.1 is private'),
  PipelineError: () => new PipelineError('The planner produced no segments'),
  PlanningError: () => new PlanningError('Planning failed: HTTP 500'),
  ProcessError: () => new ProcessError('ffmpeg', 1, null, 'boom'),
  ProcessTimeoutError: () => new ProcessTimeoutError('ffmpeg', 1000),
  StoreSchemaTooNewError: () => new StoreSchemaTooNewError(3, 2),
  QueueFullError: () => new QueueFullError('owner', 3, 3),
  StartupError: () => new StartupError('data dir is not writable'),
  StorageError: () => new StorageError('bucket b is not reachable', { retryable: true }),
  StoreUnavailableError: () => new StoreUnavailableError('Job store unavailable (Redis)'),
  TaskGoneError: () => new TaskGoneError('runway', 't1'),
  TtvError: () => new TtvError("The job's first-frame image is no longer stored", { code: 'ImageGone' }),
  UnsafeBindError: () => new UnsafeBindError('server.host: refusing to listen on 0.0.0.0 without a token'),
  ValidationError: () => new ValidationError([{ field: 'prompt', message: 'is required' }]),
  VendorError: () => new VendorError('openai', 503, 'busy', true),
  VendorOutcomeUnknownError: () => new VendorOutcomeUnknownError('runway', 'timed out'),
};

/** Every class exported by a module of src/errors/ that is TtvError or derives from it. */
async function errorClasses(): Promise<Map<string, abstract new (...args: never[]) => TtvError>> {
  const found = new Map<string, abstract new (...args: never[]) => TtvError>();
  for (const file of readdirSync(ERRORS_DIR).filter((f) => f.endsWith('.ts'))) {
    const module = (await import(
      /* @vite-ignore */ `../../../${ERRORS_DIR}/${file.replace(/\.ts$/, '.js')}`
    )) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      if (typeof value === 'function' && (value === TtvError || value.prototype instanceof TtvError)) {
        found.set(value.name, value as abstract new (...args: never[]) => TtvError);
      }
    }
  }
  return found;
}

/** The names of the classes an error is an instance of, its own first. */
function classChain(err: object): string[] {
  const names: string[] = [];
  for (
    let p = Object.getPrototypeOf(err) as { constructor: { name: string } } | null;
    p && p !== Error.prototype;
    p = Object.getPrototypeOf(p) as typeof p
  ) {
    names.push(p.constructor.name);
  }
  return names;
}

describe('the error table', () => {
  it('has a sample for every error class under src/errors/, and a class for every sample', async () => {
    const classes = await errorClasses();
    expect([...classes.keys()].sort()).toEqual(Object.keys(SAMPLES).sort());
    for (const [name, make] of Object.entries(SAMPLES)) expect(make().constructor, name).toBe(classes.get(name));
  });

  it('holds the code of every error class under src/errors/', () => {
    for (const [name, make] of Object.entries(SAMPLES)) {
      const err = make();
      expect(Object.keys(ERROR_CODES), `${name} raises ${err.code}, which is not in error-codes.ts`).toContain(
        err.code,
      );
    }
  });

  it('names, for each code, a class that raises it', async () => {
    const classes = await errorClasses();
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      expect(classes.has(entry.className), `${code}: no class ${entry.className} under src/errors/`).toBe(true);
    }
    // A class other than ApiError and TtvError (which raise codes of others) raises its row's code.
    for (const [name, make] of Object.entries(SAMPLES)) {
      if (name === 'ApiError' || name === 'TtvError') continue;
      const err = make();
      expect(
        classChain(err),
        `${name} raises ${err.code}, whose row names ${ERROR_CODES[err.code].className}`,
      ).toContain(ERROR_CODES[err.code].className);
    }
  });

  it('gives each code of an HTTP answer a text, and every failure inside ttv the 500 of InternalServerError', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES)) {
      if (entry.message === null) expect(entry.status, code).toBe(500);
      else expect(entry.message.length, code).toBeGreaterThan(0);
      expect(entry.status >= 400 && entry.status < 600, code).toBe(true);
    }
  });

  it('keeps codes out of the source of src/errors/ except through the table', () => {
    // A literal code given to TtvError is checked by the compiler (ErrorCode); this catches a cast.
    for (const file of readdirSync(ERRORS_DIR).filter((f) => f.endsWith('.ts'))) {
      for (const m of readFileSync(join(ERRORS_DIR, file), 'utf8').matchAll(/\bcode: '(\w+)'/g)) {
        expect(Object.keys(ERROR_CODES), `${file} uses code ${m[1]}`).toContain(m[1]);
      }
    }
  });
});

describe('the HTTP mapping', () => {
  it('answers every code with the status of its row', () => {
    for (const [code, entry] of Object.entries(ERROR_CODES) as [ErrorCode, (typeof ERROR_CODES)[ErrorCode]][]) {
      const answer = toApiError(new TtvError('what failed', { code }), BODY_LIMIT);
      expect(answer.statusCode, code).toBe(entry.status);
      expect(answer.code, code).toBe(isPublicCode(code) ? code : 'InternalServerError');
    }
  });

  it("answers every error class with the status of its code's row", () => {
    for (const [name, make] of Object.entries(SAMPLES)) {
      const err = make();
      expect(toApiError(err, BODY_LIMIT).statusCode, name).toBe(ERROR_CODES[err.code].status);
    }
  });

  it("answers an ApiError of each code a client reads with its row's status, unless the error names another", () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      if (!isPublicCode(code)) continue;
      expect(toApiError(new ApiError(code), BODY_LIMIT).statusCode, code).toBe(ERROR_CODES[code].status);
    }
    expect(toApiError(new QueueFullError('global', 6, 6), BODY_LIMIT).statusCode).toBe(503);
    expect(
      toApiError(new ApiError('ValidationError', 'Request URL too long', { field: 'url' }, { status: 414 }), BODY_LIMIT)
        .statusCode,
    ).toBe(414);
  });

  it('keeps the text of a failure inside ttv from the client', () => {
    const answer = toApiError(new PipelineError('ffmpeg failed under /srv/ttv/data'), BODY_LIMIT);
    expect(answer).toMatchObject({
      code: 'InternalServerError',
      publicMessage: 'An internal server error occurred',
      details: null,
      retryable: false,
    });
  });

  it("answers the store's failures with the code's text, Retry-After and details.retry_after", () => {
    const store = toApiError(new StoreUnavailableError('Job store unavailable (Redis)'), BODY_LIMIT);
    expect(store).toMatchObject({
      code: 'ServiceUnavailable',
      publicMessage: 'Job store is unavailable; try again shortly',
      details: { retry_after: 5 },
      retryable: true,
      headers: { 'retry-after': '5' },
    });
    const storage = toApiError(new StorageError('could not sign a URL'), BODY_LIMIT);
    expect(storage).toMatchObject({
      statusCode: 503,
      code: 'StorageError',
      publicMessage: 'Artifact storage failed: could not sign a URL',
      details: { retry_after: 5 },
      retryable: true,
      headers: { 'retry-after': '5' },
    });
    const full = toApiError(new QueueFullError('owner', 3, 3), BODY_LIMIT);
    expect(full).toMatchObject({
      details: { scope: 'owner', queued: 3, limit: 3, retry_after: 30 },
      retryable: true,
      headers: { 'retry-after': '30' },
    });
    expect(toApiError(new InvalidCursorError(), BODY_LIMIT)).toMatchObject({
      statusCode: 400,
      code: 'ValidationError',
      details: { field: 'cursor' },
    });
  });

  it("keeps the answers to Fastify's own errors", () => {
    const fastify = (code: string, statusCode: number) => Object.assign(new Error(code), { code, statusCode });
    expect(toApiError(fastify('FST_ERR_CTP_BODY_TOO_LARGE', 413), BODY_LIMIT)).toMatchObject({
      statusCode: 413,
      code: 'PayloadTooLarge',
      details: { max_size: BODY_LIMIT },
    });
    expect(
      toApiError(fastify('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), BODY_LIMIT, 'text/plain; charset=utf-8'),
    ).toMatchObject({ statusCode: 415, code: 'UnsupportedMediaType', details: { provided_type: 'text/plain' } });
    expect(toApiError(fastify('FST_ERR_CTP_INVALID_CONTENT_LENGTH', 400), BODY_LIMIT)).toMatchObject({
      statusCode: 400,
      code: 'ValidationError',
      details: { field: 'Content-Length' },
    });
    expect(toApiError(fastify('FST_ERR_BAD_URL', 400), BODY_LIMIT)).toMatchObject({
      statusCode: 400,
      code: 'ValidationError',
      publicMessage: 'Malformed request URL',
    });
    expect(toApiError(fastify('FST_ERR_ROUTE_URL_TOO_LONG', 414), BODY_LIMIT)).toMatchObject({
      statusCode: 414,
      code: 'ValidationError',
    });
    expect(toApiError(fastify('FST_ERR_MAX_PARAM_LENGTH', 400), BODY_LIMIT)).toMatchObject({
      statusCode: 400,
      code: 'ValidationError',
    });
    expect(toApiError(fastify('SOME_PLUGIN', 429), BODY_LIMIT)).toMatchObject({
      statusCode: 429,
      code: 'RateLimitExceeded',
      details: null,
      retryable: true,
      headers: { 'retry-after': '60' },
    });
    expect(toApiError(fastify('FST_ERR_NOT_FOUND', 404), BODY_LIMIT)).toMatchObject({
      statusCode: 404,
      code: 'NotFound',
    });
    expect(toApiError(fastify('FST_ERR_CTP_EMPTY_JSON_BODY', 406), BODY_LIMIT)).toMatchObject({
      statusCode: 406,
      code: 'ValidationError',
      publicMessage: 'Bad request',
    });
    expect(toApiError(new Error('a bug'), BODY_LIMIT)).toMatchObject({ statusCode: 500, code: 'InternalServerError' });
  });
});
