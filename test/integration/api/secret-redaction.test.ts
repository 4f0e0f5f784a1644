// One redaction for every sink: a vendor (the Runway fake) whose failure text echoes the request's
// Authorization header must not put the key into the job log, the SSE stream, the process log or the
// job record; token shapes are scrubbed even when they are not configured values.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRunwayServer } from '../../fakes/runway/fake-runway-server.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { FAST_REMOTE, jobLog, submit, waitForEnd } from '../../support/backend-jobs.js';
import { readSse } from '../../support/sse.js';
import { createLogger } from '../../../src/logging/logger.js';
import { displayUrl, redactConfig, redactText } from '../../../src/logging/redact.js';
import { configSchema } from '../../../src/config/schema.js';

const KEY = 'rw-echoed-key-9f8e7d6c5b4a';
const runway = new FakeRunwayServer(KEY);
const processLog: string[] = [];
let svc: TestService;

beforeAll(async () => {
  await runway.start();
  const destination = new Writable({
    write(chunk, _enc, done) {
      processLog.push(String(chunk));
      done();
    },
  });
  svc = await startTestService(
    {
      default_backend: 'runway',
      segment_duration_seconds: 5,
      runway_ml: { api_key: KEY, base_url: runway.url },
      remote_api_settings: FAST_REMOTE,
    },
    { logger: createLogger({ level: 'debug', destination }) },
  );
});
afterAll(async () => {
  await svc?.close();
  await runway.stop();
});

describe('a vendor that echoes the Authorization header', () => {
  it('leaves no secret in the job log, the SSE stream, the process log or the job record', async () => {
    runway.outcomes.push('echo-auth');
    const id = await submit(svc, 'A red kite over a field.');
    const job = await waitForEnd(svc, id);
    expect(job.status).toBe('failed');
    const stream = await readSse(`${svc.url}/v1/jobs/${id}/events`);
    const lines = await jobLog(svc, id);
    const record = JSON.stringify(await (await fetch(`${svc.url}/v1/jobs/${id}`)).json());

    // The echo did reach us (not vacuous): it is there, redacted.
    expect(lines.some((l) => l.includes('Upstream refused the request') && l.includes('[REDACTED]'))).toBe(true);
    for (const [sink, text] of [
      ['job log', lines.join('\n')],
      ['SSE stream', JSON.stringify(stream.events)],
      ['job record', record],
      ['process log', processLog.join('')],
    ] as const) {
      expect(text, sink).not.toContain(KEY);
      expect(text, sink).not.toMatch(/Bearer (?!\[REDACTED\])\S/);
    }
  }, 60_000);
});

describe('a vendor error echoing a key longer than the reason is cut to', () => {
  // A key of no well-known shape: only its whole configured value can be recognised, so a cut made
  // before redaction would have left its first ~130 characters readable.
  const LONG_KEY = `rk9${'Q7f2Lm8ZpX4cV1bN'.repeat(13)}`;
  const longRunway = new FakeRunwayServer(LONG_KEY);
  const longLog: string[] = [];
  let longSvc: TestService;

  beforeAll(async () => {
    await longRunway.start();
    const destination = new Writable({
      write(chunk, _enc, done) {
        longLog.push(String(chunk));
        done();
      },
    });
    longSvc = await startTestService(
      {
        default_backend: 'runway',
        segment_duration_seconds: 5,
        runway_ml: { api_key: LONG_KEY, base_url: longRunway.url },
        remote_api_settings: FAST_REMOTE,
      },
      { logger: createLogger({ level: 'debug', destination }) },
    );
  });
  afterAll(async () => {
    await longSvc?.close();
    await longRunway.stop();
  });

  it('shows no part of the key in the job error, the job log, the SSE stream or the process log', async () => {
    expect(LONG_KEY.length).toBeGreaterThan(200);
    longRunway.outcomes.push('reject-echo-key');
    const id = await submit(longSvc, 'A red kite over a field.');
    const job = await waitForEnd(longSvc, id);
    expect(job.status).toBe('failed');
    const stream = await readSse(`${longSvc.url}/v1/jobs/${id}/events`);
    const lines = await jobLog(longSvc, id);
    // The echo reached us (not vacuous): clients read ttv's sentence, the vendor's text is in the
    // job log, with the key redacted before the cut.
    expect(job.error).toContain('The video vendor (runway) answered HTTP 400');
    expect(lines.join('\n')).toContain('The key [REDACTED] is not enabled');
    const fragments = Array.from({ length: LONG_KEY.length - 7 }, (_, i) => LONG_KEY.slice(i, i + 8));
    for (const [sink, text] of [
      ['job error', String(job.error)],
      ['job log', lines.join('\n')],
      ['SSE stream', JSON.stringify(stream.events)],
      ['process log', longLog.join('')],
    ] as const) {
      const leaked = fragments.find((f) => text.includes(f));
      expect(leaked, `${sink} shows part of the key`).toBeUndefined();
    }
  }, 60_000);
});

describe('redactText', () => {
  it('scrubs known token shapes and Authorization values that are not configured', () => {
    const samples = [
      'sk-proj-abcdefghijklmnop1234',
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'AKIAIOSFODNN7EXAMPLE',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl',
      'xoxb-123456789012-abcdefghij',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'sk_live_abcdefghijkl1234',
    ];
    for (const token of samples)
      expect(redactText(`vendor said: ${token} (oops)`)).toBe('vendor said: [REDACTED] (oops)');
    expect(redactText('Authorization: Key fal-1234567890abcdef')).toBe('Authorization: Key [REDACTED]');
    expect(redactText('{"authorization":"Basic dXNlcjpwYXNz"}')).toBe('{"authorization":"Basic [REDACTED]"}');
    expect(redactText('GET https://x.example/v?key=abc123&signature=zzz&ok=1')).toBe(
      'GET https://x.example/v?key=[REDACTED]&signature=[REDACTED]&ok=1',
    );
    expect(redactText('redis://user:hunter22@db:6379/0')).toBe('redis://user:[REDACTED]@db:6379/0');
    expect(redactText('a plain line, 50% done')).toBe('a plain line, 50% done');
  });

  it('shows webhook URLs as origin + redacted path, in logs and in config dumps', () => {
    const slack = 'https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX';
    expect(displayUrl(slack)).toBe('https://hooks.slack.com/[REDACTED]');
    expect(displayUrl('https://user:pw@example.com/?token=1')).toBe('https://example.com');
    const config = configSchema.parse({ webhooks: { urls: [slack], endpoints: [{ url: `${slack}2` }] } });
    const dump = JSON.stringify(redactConfig(config));
    expect(dump).not.toContain('XXXXsecretXXXX');
    expect(dump).toContain('https://hooks.slack.com/[REDACTED]');
  });
});
