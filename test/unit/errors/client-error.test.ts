import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hideHostPaths, toClientError } from '../../../src/errors/client-error.js';
import { TtvError } from '../../../src/errors/ttv-error.js';
import { StorageError } from '../../../src/errors/storage-error.js';
import { GenerationError } from '../../../src/errors/generation-error.js';
import { VendorError } from '../../../src/errors/vendor-error.js';
import { ConfigError } from '../../../src/errors/config-error.js';
import { ApiError } from '../../../src/errors/api-error.js';
import { StoreUnavailableError } from '../../../src/errors/store-unavailable-error.js';

describe('TtvError', () => {
  it('carries code, publicMessage, retryable and cause', () => {
    const cause = new Error('socket hang up');
    const err = new StorageError('bucket b is not reachable', { cause, retryable: true });
    expect(err).toBeInstanceOf(TtvError);
    expect(err.code).toBe('StorageError');
    expect(err.publicMessage).toBe('bucket b is not reachable');
    expect(err.retryable).toBe(true);
    expect(err.cause).toBe(cause);
  });

  it("keeps each subclass's own retryable and code", () => {
    expect(new GenerationError('fal', 'timeout', 'took too long', true).retryable).toBe(true);
    expect(new VendorError('openai', 503, 'busy', true).retryable).toBe(true);
    expect(new VendorError('openai', 400, 'bad', false).retryable).toBe(false);
    expect(new StoreUnavailableError().retryable).toBe(true);
    expect(new ApiError('JobNotFound', 'Job x not found').code).toBe('JobNotFound');
    expect(new ConfigError([{ key: 'a.b', message: 'is wrong' }]).code).toBe('ConfigError');
  });

  it('is the base of every error class in src outside src/edge', () => {
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.startsWith(join('src', 'edge'))) {
          for (const m of readFileSync(path, 'utf8').matchAll(/class (\w+) extends Error\b/g))
            found.push(`${path}: ${m[1]}`);
        }
      }
    };
    walk('src');
    expect(found.filter((f) => !f.startsWith(join('src', 'errors', 'ttv-error.ts')))).toEqual([]);
  });
});

describe('toClientError', () => {
  it("shows our errors' public message with host paths cut and secrets redacted", () => {
    const err = new StorageError('cannot read /tmp/w/job_1/final_video.mp4 or /etc/ttv/key.json with sk-abcdefghijkl');
    expect(toClientError(err, { workDir: '/tmp/w/job_1' })).toEqual({
      code: 'StorageError',
      message: 'cannot read final_video.mp4 or …/key.json with [REDACTED]',
      retryable: false,
    });
  });

  it('scrubs the given secret values', () => {
    expect(
      toClientError(new TtvError('vendor said hunter22-secret', { code: 'PipelineError' }), {
        secrets: ['hunter22-secret'],
      }).message,
    ).toBe('vendor said [REDACTED]');
  });

  it('hides the text of errors that are not ours behind the fallback', () => {
    const raw = Object.assign(new Error('ENOENT: no such file, open /srv/ttv/data/x'), { code: 'ENOENT' });
    expect(toClientError(raw, { fallback: 'Internal error while running the job' })).toEqual({
      code: 'InternalError',
      message: 'Internal error while running the job',
      retryable: false,
    });
    expect(toClientError('a string').message).toBe('An internal error occurred');
  });

  it('hides a TtvError whose publicMessage is null', () => {
    const err = new TtvError('stack of internals', { code: 'PipelineError', publicMessage: null, retryable: true });
    expect(toClientError(err)).toEqual({
      code: 'InternalError',
      message: 'An internal error occurred',
      retryable: true,
    });
  });
});

describe('hideHostPaths', () => {
  it('keeps URLs and makes work-dir paths relative', () => {
    expect(hideHostPaths('see https://api.example.com/v1/tasks/42', '/w')).toBe(
      'see https://api.example.com/v1/tasks/42',
    );
    expect(hideHostPaths('/w/videos/a.mp4: bad', '/w')).toBe('videos/a.mp4: bad');
  });
});
