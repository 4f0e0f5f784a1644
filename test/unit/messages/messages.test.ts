// The exact wording of messages people read: one prefix (the field or vendor named once), counts
// with the right noun, and network errors that name the host but nothing after it.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { countNoun } from '../../../src/text/count-noun.js';
import { artifactQuerySchema, listJobsQuerySchema, parseRequestPart } from '../../../src/api/schemas.js';
import { configSchema } from '../../../src/config/schema.js';
import { QueueFullError } from '../../../src/errors/queue-full-error.js';
import { VendorClient } from '../../../src/http/vendor-client/vendor-client.js';

/** A loopback port with nothing listening on it (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function validationMessage(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('countNoun', () => {
  it('uses the singular for one only', () => {
    expect([0, 1, 2].map((n) => countNoun(n, 'segment'))).toEqual(['0 segments', '1 segment', '2 segments']);
    expect(countNoun(1, 'video segment')).toBe('1 video segment');
    expect(countNoun(3, 'entry', 'entries')).toBe('3 entries');
  });
});

describe('field messages name the field once', () => {
  it('query parameters', () => {
    expect(validationMessage(() => parseRequestPart(listJobsQuerySchema, { limit: '0' }, 'query'))).toBe(
      'limit: must be an integer between 1 and 100',
    );
    expect(validationMessage(() => parseRequestPart(artifactQuerySchema, { expires_in: '59' }, 'query'))).toBe(
      'expires_in: must be at least 60 seconds',
    );
    expect(validationMessage(() => parseRequestPart(artifactQuerySchema, { expires_in: '604801' }, 'query'))).toBe(
      'expires_in: must be at most 604800 seconds',
    );
  });

  it('config keys', () => {
    const result = configSchema.safeParse({ data_dir: '/unused', security: { rate_limit_per_minute: 0 } });
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.path.join('.') === 'security.rate_limit_per_minute');
    expect(issue?.message).toBe('must be positive');
  });
});

describe('queue caps', () => {
  it('count the queued jobs with the right noun', () => {
    expect(new QueueFullError('global', 1, 1).message).toBe('The queue is full (1 job queued, limit 1)');
    expect(new QueueFullError('owner', 2, 2).message).toBe('This key has 2 jobs queued (limit 2)');
  });
});

describe('network errors', () => {
  it('name the vendor once and the host, never the path or query', async () => {
    const port = await closedPort();
    const err = await new VendorClient({ vendor: 'runway', retry: { maxRetries: 0, retryBaseMs: 1 } })
      .json(`http://127.0.0.1:${port}/v1/tasks/abc?key=sk-secret-value`, {}, { signal: new AbortController().signal })
      .catch((e: unknown) => e as Error);
    expect((err as Error).message).toBe(`runway: network error (connection failed to 127.0.0.1:${port})`);
  });

  it('a failed vendor cancel names the host too', async () => {
    const port = await closedPort();
    const lines: string[] = [];
    await new VendorClient({ vendor: 'fal', retry: { maxRetries: 0, retryBaseMs: 1 } }).cancel(
      `http://127.0.0.1:${port}/v1/tasks/t-1?token=secret`,
      { method: 'DELETE' },
      't-1',
      (m) => lines.push(m),
    );
    expect(lines).toEqual([`fal: cancel of task t-1 failed (connection failed to 127.0.0.1:${port})`]);
  });
});
