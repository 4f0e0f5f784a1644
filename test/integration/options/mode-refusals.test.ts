// At submission, a job whose own options ask for what its backend or image provider cannot do in its
// mode is refused with 400 before it is queued, so nothing is paid for: a text-only model in chaining
// mode (segment 2 could not be made), a DALL·E model in keyframe mode (no edit continues a keyframe).
// A one-segment job on a text-only model is accepted and rendered.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeMinimaxServer } from '../../fakes/minimax/fake-minimax-server.js';
import { FakeOpenAiServer } from '../../fakes/openai/fake-openai-server.js';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { FAST_REMOTE, waitForEnd } from '../../support/backend-jobs.js';

const minimax = new FakeMinimaxServer('mm-test-key-0123456789');
const openai = new FakeOpenAiServer('sk-test-openai-key-123456');
let svc: TestService;

beforeAll(async () => {
  await Promise.all([minimax.start(), openai.start()]);
  svc = await startTestService({
    server: { job_options: ['backend', 'generation_mode', 'duration_seconds', 'segment_duration_seconds'] },
    // The server's own default (procedural, chaining) can run; MiniMax T2V-01 renders from text only.
    minimax: { api_key: 'mm-test-key-0123456789', base_url: `${minimax.url}/v1`, model: 'T2V-01' },
    image_generation_model: 'dall-e-3',
    openai_api_key: 'sk-test-openai-key-123456',
    openai_base_url: `${openai.url}/v1`,
    remote_api_settings: FAST_REMOTE,
  });
});
afterAll(async () => {
  await svc?.close();
  await Promise.all([minimax.stop(), openai.stop()]);
});
afterEach(() => {
  minimax.reset();
  openai.reset();
});

async function submit(options: Record<string, unknown>) {
  const res = await postJob(svc.url, { prompt: 'A lighthouse at dawn. Waves on the rocks.', options });
  return {
    status: res.status,
    body: (await res.json()) as { id?: string; message?: string; details?: { field: string } },
  };
}

describe('submission refuses a mode its backend or image provider cannot run', () => {
  it('a text-only model in chaining mode: 400 on the option that chose it, naming the model and the fix', async () => {
    const res = await submit({ backend: 'minimax', segment_duration_seconds: 6 });
    expect(res.status).toBe(400);
    expect(res.body.details!.field).toBe('options.backend');
    expect(res.body.message).toMatch(
      /minimax \(minimax\.model T2V-01\) renders from text only.*choose a model that also takes a first frame/,
    );
    const chosen = await submit({ backend: 'minimax', generation_mode: 'chaining', segment_duration_seconds: 6 });
    expect(chosen.status).toBe(400);
    expect(chosen.body.details!.field).toBe('options.generation_mode');
    expect(minimax.requests).toHaveLength(0);
  });

  it('accepts the same model for a one-segment job, and renders it from text', async () => {
    const res = await submit({ backend: 'minimax', duration_seconds: 6 });
    expect(res.status).toBe(202);
    const job = await waitForEnd(svc, res.body.id!);
    expect(job.status).toBe('finished');
    expect(minimax.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('keyframe mode with a DALL·E image model: 400, before any image call', async () => {
    const res = await submit({ generation_mode: 'keyframe' });
    expect(res.status).toBe(400);
    expect(res.body.details!.field).toBe('options.generation_mode');
    expect(res.body.message).toMatch(
      /image_generation_model dall-e-3 cannot continue a keyframe from the previous one/,
    );
    expect(openai.requests).toHaveLength(0);
  });
});
