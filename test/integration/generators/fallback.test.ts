// The fallback chain and the cost guard through whole jobs: default_backend →
// remote_api_settings.fallback_backend → api_priority_order, each backend at most once per segment,
// a job that ends promptly when all fail, and max_cost_per_video refusing before any paid call.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeRunwayServer } from '../../fakes/runway/fake-runway-server.js';
import { FakeMinimaxServer } from '../../fakes/minimax/fake-minimax-server.js';
import { FakeFalServer } from '../../fakes/fal/fake-fal-server.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { FAST_REMOTE, probeArtifact, runJob } from '../../support/backend-jobs.js';

const runway = new FakeRunwayServer('rw-test-key-0123456789');
const minimax = new FakeMinimaxServer('mm-test-key-0123456789');
const fal = new FakeFalServer('fal-test-key-0123456789');
const services: TestService[] = [];

beforeAll(async () => {
  await Promise.all([runway.start(), minimax.start(), fal.start()]);
});
afterAll(async () => {
  await Promise.all([runway.stop(), minimax.stop(), fal.stop()]);
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  runway.reset();
  minimax.reset();
  fal.reset();
});

async function service(extra: Record<string, unknown>): Promise<TestService> {
  const svc = await startTestService({
    default_backend: 'runway',
    // A length every backend of the chain renders (MiniMax 01: 6 s only; fal Hailuo-02: 6 or 10).
    segment_duration_seconds: 6,
    runway_ml: { api_key: 'rw-test-key-0123456789', base_url: runway.url },
    minimax: { api_key: 'mm-test-key-0123456789', base_url: `${minimax.url}/v1` },
    fal: { api_key: 'fal-test-key-0123456789', base_url: fal.url },
    ...extra,
    remote_api_settings: { ...FAST_REMOTE, ...(extra.remote_api_settings as object | undefined) },
  });
  services.push(svc);
  return svc;
}

const runwayCreates = () => runway.requests.filter((r) => r.method === 'POST');
const minimaxCreates = () => minimax.requests.filter((r) => r.method === 'POST');
const falCreates = () => fal.requests.filter((r) => r.method === 'POST');

describe('fallback chain', () => {
  it('finishes on the fallback when the default backend fails for good, and skips it afterwards', async () => {
    const svc = await service({
      runway_ml: { api_key: 'rw-revoked-key-000000', base_url: runway.url },
      remote_api_settings: { fallback_backend: 'minimax' },
    });
    const { id, job, lines } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(runwayCreates()).toHaveLength(1);
    expect(minimaxCreates()).toHaveLength(2);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Segment 1: runway attempt started$/),
        expect.stringMatching(/Segment 1: runway attempt failed: HTTP 401/),
        expect.stringMatching(/Segment 1: minimax attempt started \(fallback\)/),
        expect.stringMatching(/Segment 1: minimax attempt succeeded/),
        expect.stringMatching(/Segment 2: runway skipped: it failed for good earlier in this job/),
        expect.stringMatching(/Segment 2: minimax attempt succeeded/),
      ]),
    );
    // Each clip is priced by the backend that made it: two MiniMax I2V-01-Director clips.
    expect(job.estimated_cost_usd).toBeCloseTo(2 * 6 * 0.072, 5);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('tries the default again for the next segment after a task failure (once per segment)', async () => {
    runway.outcomes.push('fail', 'fail');
    const svc = await service({ remote_api_settings: { fallback_backend: 'minimax' } });
    const { job } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(runwayCreates()).toHaveLength(2);
    expect(minimaxCreates()).toHaveLength(2);
  });

  it('walks api_priority_order after the fallback', async () => {
    runway.outcomes.push('safety');
    fal.outcomes.push('runner-error');
    const svc = await service({
      remote_api_settings: { fallback_backend: 'fal.ai', api_priority_order: ['runway', 'minimax'] },
    });
    const { job, lines } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect([runwayCreates().length, falCreates().length, minimaxCreates().length]).toEqual([1, 1, 1]);
    expect(lines.filter((l) => / attempt started/.test(l)).map((l) => l.replace(/^\[[^\]]+\] /, ''))).toEqual([
      'Segment 1: runway attempt started',
      'Segment 1: fal attempt started (fallback)',
      'Segment 1: minimax attempt started (fallback)',
    ]);
  });

  it('fails promptly, naming every attempt, when the default and the fallback both fail', async () => {
    runway.outcomes.push('fail');
    minimax.outcomes.push('fail');
    const svc = await service({
      remote_api_settings: { fallback_backend: 'minimax', api_priority_order: ['minimax', 'runway'] },
    });
    const started = Date.now();
    const { job, lines } = await runJob(svc);
    expect(job.status).toBe('failed');
    expect(job.error).toBe(
      'Segment 1 failed on every backend (runway → minimax): The video vendor (runway) failed to render segment 1; The video vendor (minimax) failed to render segment 1',
    );
    // Every attempt in full, in the job log.
    expect(
      lines.some((l) =>
        /runway attempt failed: task [\w-]+ failed: An unexpected error occurred\. \(INTERNAL\)/.test(l),
      ),
    ).toBe(true);
    expect(lines.some((l) => /minimax attempt failed: task \d+ failed \(MiniMax reported status Fail\)/.test(l))).toBe(
      true,
    );
    expect(runwayCreates()).toHaveLength(1);
    expect(minimaxCreates()).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('skips a fallback that is not configured, saying why', async () => {
    runway.outcomes.push('fail');
    const svc = await service({ remote_api_settings: { fallback_backend: 'veo3' } });
    const { job, lines } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('failed');
    expect(lines.some((l) => /Segment 1: veo3 unavailable: google_veo\.project_id is required/.test(l))).toBe(true);
  });

  it('refuses to start with an unknown backend in the chain, naming its key', async () => {
    await expect(service({ remote_api_settings: { fallback_backend: 'sora' } })).rejects.toThrow(
      /^remote_api_settings\.fallback_backend: unknown video backend "sora"/,
    );
    await expect(service({ runway_ml: {} })).rejects.toThrow(
      /^default_backend: runway cannot run: runway_ml\.api_key is required/,
    );
  });
});

describe('cost guard', () => {
  it('refuses a job over max_cost_per_video before any paid call, and records the estimate', async () => {
    const svc = await service({ max_cost_per_video: 0.1 });
    const { job } = await runJob(svc);
    expect(job.status).toBe('failed');
    // gen4_turbo at $0.05 per second, two 6 s segments.
    expect(job.error).toBe('Estimated cost $0.60 (2 segments on runway) exceeds max_cost_per_video $0.10');
    expect(job.estimated_cost_usd).toBeCloseTo(0.6, 5);
    expect(runway.requests).toHaveLength(0);
  });

  it('lets a job under the limit run', async () => {
    const { job } = await runJob(await service({ max_cost_per_video: 0.65 }));
    expect(job.status).toBe('finished');
  });
});
