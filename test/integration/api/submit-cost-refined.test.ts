// estimated_cost_usd through a whole priced job: the submit-time guess (one segment per sentence)
// is replaced by the planned figure once the planner has answered, while the job still runs, and
// that figure stays to the end. The planner (fake OpenAI) plans three segments for a one-sentence
// prompt, so the two figures differ; the Runway fake holds its tasks until the test has read the
// record after planning, so the middle observation does not depend on timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOpenAiServer } from '../../fakes/openai/fake-openai-server.js';
import { FakeRunwayServer } from '../../fakes/runway/fake-runway-server.js';
import { FAST_REMOTE, getJob, waitForEnd, type JobView } from '../../support/backend-jobs.js';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { waitFor } from '../../support/wait-for.js';

const RUNWAY_KEY = 'rw-test-key-0123456789';
const OPENAI_KEY = 'sk-test-openai-key-123456';
const runway = new FakeRunwayServer(RUNWAY_KEY);
const openai = new FakeOpenAiServer(OPENAI_KEY);
let svc: TestService;

// gen4_turbo lists at $0.05 per second; segments are 5 s.
const PER_SEGMENT = 5 * 0.05;

beforeAll(async () => {
  await Promise.all([runway.start(), openai.start()]);
  openai.defaultSegments = [
    { keyframe: 'A lighthouse at dawn, still.', video: 'The camera rises over a lighthouse at dawn.' },
    { keyframe: 'Waves on black rocks, still.', video: 'Waves crash on black rocks below the lighthouse.' },
    { keyframe: 'Gulls over the sea, still.', video: 'Gulls wheel over the sea as the sun comes up.' },
  ];
  svc = await startTestService({
    default_backend: 'runway',
    segment_duration_seconds: 5,
    runway_ml: { api_key: RUNWAY_KEY, base_url: runway.url },
    remote_api_settings: { ...FAST_REMOTE, timeout: 300 },
    prompt_enhancement_model: 'gpt-4o-mini',
    openai_api_key: OPENAI_KEY,
    openai_base_url: `${openai.url}/v1`,
  });
});
afterAll(async () => {
  runway.pollsUntilDone = 1; // a failed run must not leave a held task behind for the shutdown
  await svc?.close();
  await Promise.all([runway.stop(), openai.stop()]);
});

describe('estimated_cost_usd from submit to the end', () => {
  it('is the sentence-count guess at submit, the planned figure after planning, and stays so', async () => {
    runway.pollsUntilDone = Number.MAX_SAFE_INTEGER; // tasks stay RUNNING until released below
    const res = await postJob(svc.url, { prompt: 'A lighthouse at dawn.' });
    expect(res.status).toBe(202);
    const submitted = (await res.json()) as JobView;
    expect(submitted.estimated_cost_usd).toBeCloseTo(1 * PER_SEGMENT, 6);

    // Past planning: the worker has started calling Runway (a task was created) and the job still runs.
    const afterPlanning = await waitFor(
      async () => {
        const job = await getJob(svc, submitted.id);
        if (['finished', 'failed', 'canceled'].includes(job.status))
          throw new Error(`job ended early: ${job.status} ${String(job.error)}`);
        const created = runway.requests.some((r) => r.method === 'POST' && r.path === '/v1/image_to_video');
        return created && !['queued', 'planning'].includes(String(job.stage)) ? job : null;
      },
      { timeoutMs: 60_000, what: 'the job to pass planning' },
    );
    expect(afterPlanning.status).toBe('progress');
    expect(afterPlanning.estimated_cost_usd).toBeCloseTo(3 * PER_SEGMENT, 6);

    runway.pollsUntilDone = 1;
    const end = await waitForEnd(svc, submitted.id, 120_000);
    expect(end.status).toBe('finished');
    expect(runway.requests.filter((r) => r.method === 'POST' && r.path === '/v1/image_to_video')).toHaveLength(3);
    expect(end.estimated_cost_usd).toBeCloseTo(3 * PER_SEGMENT, 6);
  });
});
