// fal.ai through whole jobs on the API against the protocol-faithful queue fake: submit, status,
// result and cancel URLs as fal returns them, per-model input typing, timing and cost headers in
// the job log, runner errors and content-policy refusals, and the retry policy.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeFalServer } from '../../fakes/fal/fake-fal-server.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { FAST_REMOTE, cancelJob, probeArtifact, runJob, submit, waitForEnd } from '../../support/backend-jobs.js';
import { waitFor } from '../../support/wait-for.js';

const KEY = 'fal-test-key-0123456789';
const MODEL = 'fal-ai/minimax/hailuo-02/standard/image-to-video';
const fal = new FakeFalServer(KEY);
const services: TestService[] = [];

beforeAll(async () => {
  await fal.start();
});
afterAll(async () => {
  await fal.stop();
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  fal.reset();
});

async function service(
  extra: Record<string, unknown> = {},
  remote: Record<string, unknown> = {},
): Promise<TestService> {
  const svc = await startTestService({
    default_backend: 'fal.ai',
    segment_duration_seconds: 6,
    fal: { api_key: KEY, base_url: fal.url, model: MODEL, cost_per_second: 0.045 },
    remote_api_settings: { ...FAST_REMOTE, ...remote },
    ...extra,
  });
  services.push(svc);
  return svc;
}

const submissions = () => fal.requests.filter((r) => r.method === 'POST');

describe('fal.ai backend', () => {
  it('runs a whole job through the queue API, typing duration as the model wants, and logs fal metrics', async () => {
    const svc = await service();
    const { id, job, lines } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(submissions()).toHaveLength(2);
    for (const req of submissions()) {
      expect(req.path).toBe(`/${MODEL}`);
      expect(req.headers.authorization).toBe(`Key ${KEY}`);
      const body = JSON.parse(req.body.toString()) as Record<string, unknown>;
      expect(body.duration).toBe('6');
      expect(String(body.image_url)).toMatch(/^data:image\/png;base64,/);
    }
    // Status and result go to the app id (owner/app), not the model's sub-path, as fal's URLs say.
    expect(fal.requests.some((r) => r.path.startsWith('/fal-ai/minimax/requests/') && r.path.endsWith('/status'))).toBe(
      true,
    );
    expect(lines.some((l) => /fal: request [\w-]+ metrics .*x-compute-time=1\.25 .*x-total-cost=0\.27/.test(l))).toBe(
      true,
    );
    expect(job.estimated_cost_usd).toBeCloseTo(2 * 6 * 0.045, 5);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('types duration as each endpoint does: "8s" for Veo 3, with its aspect ratio field', async () => {
    // fal-ai/veo3 renders from text only: chaining runs one segment per job (the offline planner capped at one).
    const svc = await service({
      segment_duration_seconds: 8,
      video_aspect_ratio: '9:16',
      procedural: { max_segments: 1 },
      fal: { api_key: KEY, base_url: fal.url, model: 'fal-ai/veo3' },
    });
    const { job } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect(JSON.parse(submissions()[0]!.body.toString())).toMatchObject({ duration: '8s', aspect_ratio: '9:16' });
  });

  it('runs a 3-segment keyframe job on Kling 3 Pro: start_image_url and end_image_url, duration "10", a playable MP4', async () => {
    const KLING = 'fal-ai/kling-video/v3/pro/image-to-video';
    const svc = await service({
      segment_duration_seconds: 10,
      generation_mode: 'keyframe',
      fal: { api_key: KEY, base_url: fal.url, model: KLING },
    });
    const { id, job } = await runJob(svc, 'A lighthouse at dawn. Waves on the rocks. Gulls over the bay.');
    expect(job.status).toBe('finished');
    expect(submissions()).toHaveLength(3);
    for (const req of submissions()) {
      expect(req.path).toBe(`/${KLING}`);
      const body = JSON.parse(req.body.toString()) as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual(['duration', 'end_image_url', 'prompt', 'start_image_url']);
      expect(body.duration).toBe('10');
      expect(String(body.start_image_url)).toMatch(/^data:image\/png;base64,/);
      expect(String(body.end_image_url)).toMatch(/^data:image\/png;base64,/);
    }
    // Status and result go to the app id (fal-ai/kling-video), as fal's URLs say.
    expect(
      fal.requests.some((r) => r.path.startsWith('/fal-ai/kling-video/requests/') && r.path.endsWith('/status')),
    ).toBe(true);
    // Kling 3 Pro with fal's default audio: $0.336 per second.
    expect(job.estimated_cost_usd).toBeCloseTo(3 * 10 * 0.336, 5);
    const probe = await probeArtifact(svc, id);
    expect(probe.codec).toBe('h264');
    expect(probe.durationSeconds).toBeGreaterThan(2.5);
  });

  it('Veo 3.1 first-last: both frame fields and its resolution; refuses a segment without a last frame before paying', async () => {
    const FLF = 'fal-ai/veo3.1/first-last-frame-to-video';
    const svc = await service({
      segment_duration_seconds: 8,
      generation_mode: 'keyframe',
      video_aspect_ratio: '9:16',
      fal: { api_key: KEY, base_url: fal.url, model: FLF },
    });
    expect((await runJob(svc, 'A red kite over a field.')).job.status).toBe('finished');
    expect(JSON.parse(submissions()[0]!.body.toString())).toMatchObject({
      duration: '8s',
      aspect_ratio: '9:16',
      resolution: '720p',
      first_frame_url: expect.stringMatching(/^data:/),
      last_frame_url: expect.stringMatching(/^data:/),
    });
    fal.reset();
    // Chaining gives segments a first frame only: refused, nothing submitted.
    const chained = await runJob(
      await service({
        segment_duration_seconds: 8,
        generation_mode: 'chaining',
        fal: { api_key: KEY, base_url: fal.url, model: FLF },
      }),
      'A red kite over a field.',
    );
    expect(chained.job.status).toBe('failed');
    expect(chained.job.error).toMatch(/needs a last frame next to the first \(use generation_mode keyframe\)/);
    expect(submissions()).toHaveLength(0);
  });

  it('fails clearly on a model validation error (422) without retrying', async () => {
    // default_input is passed through as the operator wrote it: Hailuo-02 has no generate_audio.
    const svc = await service({
      fal: { api_key: KEY, base_url: fal.url, model: MODEL, default_input: { generate_audio: true } },
    });
    const { job } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/fal: HTTP 422/);
    expect(submissions()).toHaveLength(1);
  });

  it('does not retry a rejected key', async () => {
    const { job } = await runJob(
      await service({ fal: { api_key: 'fal-wrong-key-00000', base_url: fal.url, model: MODEL } }),
      'A red kite over a field.',
    );
    expect(job.error).toBe('The video vendor (fal) answered HTTP 401 for segment 1 (credentials rejected).');
    expect(submissions()).toHaveLength(1);
  });

  it('reports a runner error (5xx on the result URL) and a content-policy refusal with their types', async () => {
    fal.outcomes.push('runner-error');
    const crashed = await runJob(await service(), 'A red kite over a field.');
    expect(crashed.job.status).toBe('failed');
    expect(crashed.job.error).toBe('The video vendor (fal) failed to render segment 1.');
    expect(
      crashed.lines.some((l) =>
        /Runner crashed while processing the request \(HTTP 500\) \(runner_server_error\)/.test(l),
      ),
    ).toBe(true);
    // The request's own error is final: its result is fetched once, not retried like a gateway 5xx.
    const id = [...fal.queued.values()][0]!.id;
    expect(fal.requests.filter((r) => r.method === 'GET' && r.path === `/fal-ai/minimax/requests/${id}`)).toHaveLength(
      1,
    );
    fal.outcomes.push('content-policy');
    const refused = await runJob(await service(), 'A red kite over a field.');
    expect(refused.job.error).toBe('The video vendor (fal) refused segment 1: content policy.');
    expect(refused.lines.some((l) => /flagged by a content checker.*\(content_policy_violation\)/.test(l))).toBe(true);
  });

  it('never submits again after a 5xx on submit: the job fails as "vendor outcome unknown"', async () => {
    fal.script(`/${MODEL}`, { status: 500, body: { detail: 'Internal Server Error' } });
    const { job } = await runJob(await service(), 'A red kite over a field.');
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/Segment 1 failed: fal: vendor outcome unknown: the create call answered HTTP 500/);
    expect(fal.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('retries 429 with Retry-After and 5xx', async () => {
    fal.script(`/${MODEL}`, { status: 429, body: { detail: 'Rate limit exceeded' }, headers: { 'retry-after': '0' } });
    fal.script('/fal-ai/minimax/requests/', { status: 503, body: { detail: 'Service unavailable' } });
    const { job, lines } = await runJob(await service(), 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect(lines.some((l) => /fal: HTTP 429.*retrying/.test(l))).toBe(true);
    expect(lines.some((l) => /fal: HTTP 503.*retrying/.test(l))).toBe(true);
  });

  it('cancels the fal request when the job is canceled, and when it is stuck past the deadline', async () => {
    fal.outcomes.push('stuck');
    const svc = await service();
    const id = await submit(svc, 'A red kite over a field.');
    await waitFor(async () => [...fal.queued.values()].some((r) => r.polls >= 2), { what: 'polling' });
    expect(await cancelJob(svc, id)).toBe(200);
    expect((await waitForEnd(svc, id)).status).toBe('canceled');
    await waitFor(async () => fal.canceledIds.length === 1, { what: 'PUT …/cancel' });
    expect(
      fal.requests.some(
        (r) => r.method === 'PUT' && r.path === `/fal-ai/minimax/requests/${fal.canceledIds[0]}/cancel`,
      ),
    ).toBe(true);

    fal.outcomes.push('stuck');
    const timedOut = await runJob(await service({}, { timeout: 0.4 }), 'A red kite over a field.');
    expect(timedOut.job.error).toMatch(/did not finish before remote_api_settings\.timeout/);
    expect(fal.canceledIds).toHaveLength(2);
  });

  it('finishes through a slow clip body and a reset connection', async () => {
    fal.downloadFaults.push('slow', 'reset');
    const svc = await service();
    const { id, job, lines } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(lines.some((l) => /fal: download from .* (failed \(connection failed\)|broke off).*retrying/.test(l))).toBe(
      true,
    );
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('still works with the synchronous fal.run base URL of Python configs', async () => {
    const svc = await service({ fal: { api_key: KEY, base_url: `${fal.url}/run`, model: MODEL } });
    const { id, job, lines } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect(submissions().map((r) => r.path)).toEqual([`/run/${MODEL}`]);
    expect(lines.some((l) => /fal: synchronous answer/.test(l))).toBe(true);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });
});
