// Runway through whole jobs on the API against the protocol-faithful fake: the wire format, every
// terminal task state, retries that the policy allows and none that it forbids, the poll deadline,
// vendor-side cancel, and downloads that are slow or cut off.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeRunwayServer } from '../../fakes/runway/fake-runway-server.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import {
  FAST_REMOTE,
  cancelJob,
  getJob,
  probeArtifact,
  runJob,
  submit,
  waitForEnd,
} from '../../support/backend-jobs.js';
import { waitFor } from '../../support/wait-for.js';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../../src/config/schema.js';
import { RunwayVideoGenerator } from '../../../src/generators/runway/runway-video-generator.js';
import { remoteSettings } from '../../../src/generators/remote/remote-settings.js';
import { samplePng } from '../../fakes/shared/fake-http-server.js';

const KEY = 'rw-test-key-0123456789';
const runway = new FakeRunwayServer(KEY);
const services: TestService[] = [];

beforeAll(async () => {
  await runway.start();
});
afterAll(async () => {
  await runway.stop();
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  runway.reset();
});

async function service(
  extra: Record<string, unknown> = {},
  remote: Record<string, unknown> = {},
): Promise<TestService> {
  const svc = await startTestService({
    default_backend: 'runway',
    segment_duration_seconds: 5,
    runway_ml: { api_key: KEY, base_url: runway.url },
    remote_api_settings: { ...FAST_REMOTE, ...remote },
    ...extra,
  });
  services.push(svc);
  return svc;
}

const creates = () => runway.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v1/'));

describe('Runway backend', () => {
  it('runs a whole job: image_to_video tasks, polling, downloads, a playable MP4 and its cost', async () => {
    const svc = await service();
    const { id, job, lines } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(creates()).toHaveLength(2);
    for (const req of creates()) {
      expect(req.path).toBe('/v1/image_to_video');
      expect(req.headers['x-runway-version']).toBe('2024-11-06');
      const body = JSON.parse(req.body.toString()) as Record<string, unknown>;
      expect(body).toMatchObject({ model: 'gen4_turbo', ratio: '1280:720', duration: 5 });
      expect(String(body.promptImage)).toMatch(/^data:image\/png;base64,/);
      expect(typeof body.promptText).toBe('string');
    }
    expect(
      runway.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/tasks/')).length,
    ).toBeGreaterThanOrEqual(6);
    // gen4_turbo: $0.05 per second, two 5 s segments.
    expect(job.estimated_cost_usd).toBeCloseTo(0.5, 5);
    // The create answer's estimatedCost (typed as present by the SDK) reaches the job log.
    expect(
      lines.some((l) => /runway: task [\w-]+ created \(gen4_turbo, 1280:720, 5 s, at most 25 credits\)/.test(l)),
    ).toBe(true);
    expect(lines.join('\n')).not.toContain(KEY);
    const probe = await probeArtifact(svc, id);
    expect(probe.codec).toBe('h264');
    expect(probe.durationSeconds).toBeGreaterThan(1.5);
  });

  it('runs a 3-segment keyframe job on seedance2 (a model new to the catalog), spelled as its SDK type wants', async () => {
    const svc = await service({
      runway_ml: { api_key: KEY, base_url: runway.url, model_version: 'seedance2', seed: 11 },
      generation_mode: 'keyframe',
      video_aspect_ratio: '9:16',
    });
    const { id, job, lines } = await runJob(svc, 'A lighthouse at dawn. Waves on the rocks. Gulls over the bay.');
    expect(job.status).toBe('finished');
    expect(creates()).toHaveLength(3);
    for (const req of creates()) {
      expect(req.path).toBe('/v1/image_to_video');
      const body = JSON.parse(req.body.toString()) as Record<string, unknown>;
      expect(body).toMatchObject({ model: 'seedance2', ratio: '720:1280', duration: 5, seed: 11 });
      // Keyframe mode: the first and the last frame, positioned, as Seedance 2 keyframes are given.
      expect((body.promptImage as { position: string }[]).map((p) => p.position)).toEqual(['first', 'last']);
    }
    // seedance2: 36 credits (US$0.36) per second, three 5 s segments.
    expect(job.estimated_cost_usd).toBeCloseTo(3 * 5 * 0.36, 5);
    expect(
      lines.some((l) => /runway: task [\w-]+ created \(seedance2, 720:1280, 5 s, at most 180 credits\)/.test(l)),
    ).toBe(true);
    const probe = await probeArtifact(svc, id);
    expect(probe.codec).toBe('h264');
    expect(probe.durationSeconds).toBeGreaterThan(2.5);
  });

  it('wan3 from a frame sends auto_720p (its shape follows the frame); a config with a seed is refused at startup', async () => {
    const svc = await service({
      runway_ml: { api_key: KEY, base_url: runway.url, model_version: 'wan3' },
      generation_mode: 'keyframe',
    });
    const { job } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect(creates().map((r) => r.path)).toEqual(['/v1/image_to_video']);
    expect(JSON.parse(creates()[0]!.body.toString())).toMatchObject({ model: 'wan3', ratio: 'auto_720p', duration: 5 });
    runway.reset();
    // The startup check refuses the config: wan3's SDK type has no seed.
    await expect(
      service({ runway_ml: { api_key: KEY, base_url: runway.url, model_version: 'wan3', seed: 4 } }),
    ).rejects.toThrow(/runway cannot run: wan3 takes no seed \(runway_ml\.seed is set\)/);
    expect(creates()).toHaveLength(0);
  });

  it('starts from text with a text-capable model and sends the configured ratio and seed', async () => {
    const svc = await service({
      runway_ml: { api_key: KEY, base_url: runway.url, model_version: 'gen4.5', seed: 42 },
      video_aspect_ratio: '9:16',
    });
    const { job } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect(creates().map((r) => r.path)).toEqual(['/v1/text_to_video']);
    expect(JSON.parse(creates()[0]!.body.toString())).toMatchObject({ model: 'gen4.5', ratio: '720:1280', seed: 42 });
  });

  it('honours 429 Retry-After and retries 5xx while polling', async () => {
    runway.script('/v1/image_to_video', {
      status: 429,
      body: { error: 'Too many requests' },
      headers: { 'retry-after': '0' },
    });
    runway.script('/v1/tasks/', { status: 502, body: { error: 'Bad gateway' } });
    const svc = await service();
    const { job, lines } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect(creates()).toHaveLength(2);
    expect(lines.some((l) => /runway: HTTP 429.*retrying/.test(l))).toBe(true);
    expect(lines.some((l) => /runway: HTTP 502.*retrying/.test(l))).toBe(true);
  });

  it('never sends a create again after a 500 (the task may exist): the job fails as "vendor outcome unknown", with no fallback', async () => {
    runway.failAfterCreate = 1;
    const svc = await service({ remote_api_settings: { ...FAST_REMOTE, fallback_backend: 'procedural' } });
    const { job, lines } = await runJob(svc, 'A red kite over a field. A kite string.');
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/Segment 1 failed: runway: vendor outcome unknown: the create call answered HTTP 500/);
    // One create reached Runway and made one task: nothing was sent again, nothing else was tried.
    expect(creates()).toHaveLength(1);
    expect(runway.createCount).toBe(1);
    expect(lines.some((l) => /procedural attempt started/.test(l))).toBe(false);
    expect(lines.some((l) => /Segment 2/.test(l))).toBe(false);
  });

  it('sends a create again after the 502/503/504 Runway documents as retryable', async () => {
    runway.script('/v1/image_to_video', { status: 503, body: { error: 'Service unavailable' } });
    runway.script('/v1/image_to_video', { status: 504, body: { error: 'Gateway timeout' } });
    const { job, lines } = await runJob(await service(), 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect(runway.createCount).toBe(1);
    expect(lines.some((l) => /runway: HTTP 503.*retrying/.test(l))).toBe(true);
    expect(lines.some((l) => /runway: HTTP 504.*retrying/.test(l))).toBe(true);
  });

  it('names the host, and nothing else, when Runway cannot be reached', async () => {
    const svc = await service({ runway_ml: { api_key: KEY, base_url: 'http://127.0.0.1:9/private-path?token=x' } });
    const { job } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/runway: network error \(connection failed to 127\.0\.0\.1:9\)/);
    expect(job.error).not.toMatch(/private-path|token=|runway: runway:/);
  });

  it('does not retry a rejected key, and says so', async () => {
    const svc = await service({ runway_ml: { api_key: 'rw-wrong-key-00000000', base_url: runway.url } });
    const { job, lines } = await runJob(svc);
    expect(job.status).toBe('failed');
    // ttv's sentence for the client; Runway's own words only in the job log.
    expect(job.error).toBe('The video vendor (runway) answered HTTP 401 for segment 1 (credentials rejected).');
    expect(lines.some((l) => /Segment 1: runway attempt failed: HTTP 401 \(Invalid API key/.test(l))).toBe(true);
    expect(creates()).toHaveLength(1);
    expect(lines.join('\n')).not.toContain('rw-wrong-key-00000000');
  });

  it("ends on FAILED and on a safety refusal without polling on: ttv's sentence for the client, Runway's text and code in the job log", async () => {
    runway.outcomes.push('fail');
    const failed = await runJob(await service(), 'A red kite over a field.');
    expect(failed.job.status).toBe('failed');
    expect(failed.job.error).toBe('The video vendor (runway) failed to render segment 1.');
    expect(
      failed.lines.some((l) =>
        /runway attempt failed: task [\w-]+ failed: An unexpected error occurred\. \(INTERNAL\)$/.test(l),
      ),
    ).toBe(true);
    const task = [...runway.tasks.values()][0]!;
    expect(task.polls).toBe(runway.pollsUntilDone + 1);
    // INTERNAL is not INTERNAL.BAD_OUTPUT: final, no second task.
    expect(creates()).toHaveLength(1);

    runway.outcomes.push('safety');
    const refused = await runJob(await service(), 'A red kite over a field.');
    expect(refused.job.error).toBe('The video vendor (runway) refused segment 1: content policy.');
    // The OpenAI-shaped view of the job carries the same sentence.
    const video = (await (await fetch(`${services.at(-1)!.url}/v1/videos/${refused.id}`)).json()) as {
      error: { message: string };
    };
    expect(video.error.message).toBe('The video vendor (runway) refused segment 1: content policy.');
    expect(refused.lines.some((l) => /flagged by content moderation\. \(SAFETY\.INPUT\.TEXT\)/.test(l))).toBe(true);
    expect(refused.lines.filter((l) => /Job failed/.test(l)).join('\n')).not.toMatch(/SAFETY|moderation/);
    // A safety refusal is final: one task only.
    expect(creates()).toHaveLength(2);
  });

  it('makes one more task after INTERNAL.BAD_OUTPUT.*, and no third', async () => {
    runway.outcomes.push('bad-output');
    const once = await runJob(await service(), 'A red kite over a field.');
    expect(once.job.status).toBe('finished');
    expect(creates()).toHaveLength(2);
    expect(
      once.lines.some((l) =>
        /runway: task [\w-]+ failed: The output did not pass our quality checks\. \(INTERNAL\.BAD_OUTPUT\.CODE01\); the output was rejected for quality \(INTERNAL\.BAD_OUTPUT\.CODE01\), so one more task is made/.test(
          l,
        ),
      ),
    ).toBe(true);
    // The failed task was refunded (cost 0): the job costs one clip.
    expect(once.job.estimated_cost_usd).toBeCloseTo(5 * 0.05, 5);

    runway.reset();
    runway.outcomes.push('bad-output', 'bad-output');
    const twice = await runJob(await service(), 'A red kite over a field.');
    expect(twice.job.status).toBe('failed');
    expect(twice.job.error).toBe('The video vendor (runway) failed to render segment 1.');
    expect(creates()).toHaveLength(2);
  });

  it("polls a task no more often than Runway's 5 s floor, and says so in the job log", async () => {
    // One wait between two polls: the first answers PENDING, the second SUCCEEDED.
    runway.pollsUntilDone = 1;
    const { job, lines } = await runJob(
      await service({}, { polling_interval_floor_override: false }),
      'A red kite over a field.',
    );
    expect(job.status).toBe('finished');
    const polls = runway.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/v1/tasks/'));
    expect(polls).toHaveLength(2);
    // A lower bound only: a sleep never ends early (Date.now()'s millisecond rounding aside).
    expect(polls[1]!.at - polls[0]!.at).toBeGreaterThanOrEqual(4990);
    expect(
      lines.some((l) =>
        /runway: polling every 5 s, not remote_api_settings\.polling_interval 0\.02 s \(runway's floor: @runwayml\/sdk 4\.20\.1 Tasks\.retrieve/.test(
          l,
        ),
      ),
    ).toBe(true);
    // With the floors lifted (FAST_REMOTE, as for any local mock) nothing is raised.
    runway.reset();
    const lifted = await runJob(await service(), 'A red kite over a field.');
    expect(lifted.job.status).toBe('finished');
    expect(lifted.lines.some((l) => /polling every/.test(l))).toBe(false);
  });

  it('treats CANCELLED on Runway as terminal', async () => {
    runway.outcomes.push('vendor-cancel');
    const { job, lines } = await runJob(await service(), 'A red kite over a field.');
    expect(job.status).toBe('failed');
    expect(job.error).toBe('The video vendor (runway) failed to render segment 1.');
    expect(lines.some((l) => /was cancelled on Runway's side/.test(l))).toBe(true);
    expect(creates()).toHaveLength(1);
  });

  it('gives up on a stuck task at remote_api_settings.timeout and cancels it at Runway', async () => {
    runway.outcomes.push('stuck');
    const { job } = await runJob(await service({}, { timeout: 0.5 }), 'A red kite over a field.');
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/did not finish before remote_api_settings\.timeout/);
    expect(runway.deletedTaskIds).toHaveLength(1);
  });

  it('sends DELETE /v1/tasks/{id} when the job is canceled while the task runs', async () => {
    runway.outcomes.push('stuck');
    const svc = await service();
    const id = await submit(svc, 'A red kite over a field.');
    await waitFor(async () => [...runway.tasks.values()].some((t) => t.polls >= 2), { what: 'polling' });
    expect(await cancelJob(svc, id)).toBe(200);
    const job = await waitForEnd(svc, id);
    expect(job.status).toBe('canceled');
    await waitFor(async () => runway.deletedTaskIds.length === 1, { what: 'DELETE /v1/tasks/{id}' });
    expect(
      runway.requests.some((r) => r.method === 'DELETE' && r.path === `/v1/tasks/${runway.deletedTaskIds[0]}`),
    ).toBe(true);
  });

  it('survives a slow download and retries a truncated or reset one', async () => {
    runway.downloadFaults.push('slow', 'truncated', 'reset');
    const svc = await service();
    const { id, job, lines } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(lines.some((l) => /truncated \(\d+ of \d+ bytes\); retrying/.test(l))).toBe(true);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('fails clearly when every download attempt is truncated, and stores nothing', async () => {
    runway.downloadFaults.push('truncated', 'truncated', 'truncated');
    const svc = await service();
    const { id, job } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/runway: download from .* was truncated/);
    expect(job.error).not.toMatch(/_jwt|signed-cdn-token/);
    expect((await getJob(svc, id)).artifact_uri ?? null).toBeNull();
    expect((await fetch(`${svc.url}/v1/jobs/${id}/artifact`)).status).toBeGreaterThanOrEqual(400);
  });

  it("reports the task's own progress while it runs (the generator against the fake, no pipeline)", async () => {
    runway.pollsUntilDone = 5;
    const dir = await mkdtemp(join(tmpdir(), 'ttv-runway-'));
    try {
      const frame = join(dir, 'first.png');
      await writeFile(frame, samplePng());
      const config = configSchema.parse({
        runway_ml: { api_key: KEY, base_url: runway.url },
        remote_api_settings: FAST_REMOTE,
      });
      const seen: number[] = [];
      const out = join(dir, 'clip.mp4');
      await new RunwayVideoGenerator(config.runway_ml, remoteSettings(config)).generate(
        { prompt: 'A red kite.', durationSeconds: 5, firstFrame: frame, outputPath: out, segment: 1 },
        { signal: new AbortController().signal, onProgress: (f) => seen.push(f) },
      );
      // RUNNING polls carry 0.3, 0.6, 0.9 (PENDING and THROTTLED carry none).
      expect(seen).toEqual([0.3, 0.6, 0.9]);
      expect((await stat(out)).size).toBeGreaterThan(1000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
