import { describe, expect, it } from 'vitest';
import { errorWithCode, TtvError } from '../../../src/errors/ttv-error.js';
import { StoreUnavailableError } from '../../../src/errors/store-unavailable-error.js';

describe('errorWithCode', () => {
  it('finds a code anywhere in the cause chain, and nothing when it is absent', () => {
    const down = new StoreUnavailableError('Job store unavailable (PostgreSQL)');
    const wrapped = new TtvError('segments failed', {
      code: 'PipelineError',
      cause: new Error('read', { cause: down }),
    });
    expect(errorWithCode(wrapped, 'ServiceUnavailable')).toBe(down);
    expect(errorWithCode(wrapped, 'PipelineError')).toBe(wrapped);
    expect(errorWithCode(wrapped, 'DiskFull')).toBeNull();
    expect(errorWithCode('not an error', 'ServiceUnavailable')).toBeNull();
  });

  it('stops on a cause chain that loops', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(errorWithCode(a, 'ServiceUnavailable')).toBeNull();
  });
});
