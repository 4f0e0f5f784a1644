// Departures from the Python server that its own black-box tests found: /readyz names the version,
// and every /v1 answer (errors and the event stream included) forbids caching the way it did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { VERSION } from '../../../src/version.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({}, { worker: false });
});
afterAll(async () => {
  await svc?.close();
});

describe('Python-compatible answers', () => {
  it('/readyz carries the version, ready or not', async () => {
    const res = await fetch(`${svc.url}/readyz`);
    expect(res.status).toBe(503); // no worker in this service
    expect(((await res.json()) as { version: string }).version).toBe(VERSION);
  });

  it('every /v1 answer carries Cache-Control: no-cache, no-store, must-revalidate and Expires: 0', async () => {
    const job = (await (await postJob(svc.url, { prompt: 'no caching' })).json()) as { id: string };
    const controller = new AbortController();
    const answers = [
      await postJob(svc.url, { prompt: 'again' }),
      await fetch(`${svc.url}/v1/jobs`),
      await fetch(`${svc.url}/v1/jobs/${job.id}`),
      await fetch(`${svc.url}/v1/jobs/00000000-0000-4000-8000-000000000000`),
      await fetch(`${svc.url}/v1/jobs?limit=0`),
      // HEAD: the stream's headers without an endless body.
      await fetch(`${svc.url}/v1/jobs/${job.id}/events`, { method: 'HEAD', signal: controller.signal }),
    ];
    for (const res of answers) {
      expect(res.headers.get('cache-control'), res.url).toBe('no-cache, no-store, must-revalidate');
      expect(res.headers.get('expires'), res.url).toBe('0');
      expect(res.headers.get('pragma'), res.url).toBe('no-cache');
      if (res.headers.get('content-type')?.startsWith('text/event-stream')) await res.body?.cancel();
      else await res.arrayBuffer();
    }
    controller.abort();
    // Outside /v1 the health answers are not marked so.
    expect((await fetch(`${svc.url}/healthz`)).headers.get('expires')).toBeNull();
  });
});
