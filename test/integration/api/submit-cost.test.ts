// estimated_cost_usd is there from the first answer: the default backend's price (Runway gen4_turbo,
// $0.05 per second) times the segments the prompt will likely be planned into (one per sentence,
// at most procedural.max_segments) times segment_duration_seconds. No worker runs, so nothing
// else could have set it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService(
    {
      default_backend: 'runway',
      runway_ml: { api_key: 'rw-test-key-0123456789', base_url: 'http://127.0.0.1:9' },
      segment_duration_seconds: 5,
      procedural: { max_segments: 3 },
    },
    { worker: false },
  );
});
afterAll(async () => {
  await svc?.close();
});

describe('estimated_cost_usd at submit', () => {
  it.each([
    ['one sentence', 'A fox runs.', 1],
    ['two sentences', 'A fox runs. It stops.', 2],
    ['more sentences than max_segments', 'One. Two. Three. Four. Five.', 3],
  ])('%s', async (_name, prompt, segments) => {
    const res = await postJob(svc.url, { prompt });
    expect(res.status).toBe(202);
    const job = (await res.json()) as { id: string; estimated_cost_usd: number | null };
    expect(job.estimated_cost_usd).toBeCloseTo(segments * 5 * 0.05, 6);
    const read = (await (await fetch(`${svc.url}/v1/jobs/${job.id}`)).json()) as { estimated_cost_usd: number | null };
    expect(read.estimated_cost_usd).toBeCloseTo(segments * 5 * 0.05, 6);
  });
});
