// The job counters of /metrics come from the job journal: running totals that a deleted job does
// not lower, while the per-status gauges show what is in the store now.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../support/test-service.js';
import { runJobsToFinished } from '../../support/job-status.js';
import { metricSample } from '../../support/metric-sample.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService();
});
afterAll(async () => {
  await svc?.close();
});

const sample = metricSample;

it('ttv_api_jobs_processed keeps counting a job after it is deleted', async () => {
  const ids = await runJobsToFinished(svc.url, ['A bell rings.', 'A door opens.'], { timeoutMs: 60_000 });
  const before = await (await fetch(`${svc.url}/metrics`)).text();
  expect(sample(before, 'ttv_api_jobs_processed')).toBe(2);
  expect((await fetch(`${svc.url}/v1/jobs/${ids[0]}`, { method: 'DELETE' })).status).toBe(204);
  const after = await (await fetch(`${svc.url}/metrics`)).text();
  expect(sample(after, 'ttv_api_queue_jobs{status="finished"}')).toBe(1);
  expect(sample(after, 'ttv_api_jobs_processed')).toBe(2);
  expect(sample(after, 'ttv_api_jobs_total')).toBe(2);
  const summary = (await (await fetch(`${svc.url}/metrics`, { headers: { accept: 'application/json' } })).json()) as {
    total_jobs_processed: number;
  };
  expect(summary.total_jobs_processed).toBe(2);
});
