// Gemini Omni (gemini-omni-1.1-flash) through whole jobs on the API against the strict Gemini fake's
// Interactions API: a google_veo section with only an API key renders with it; segment 1 from text,
// chained segments from the previous last frame as an image block; inline and URI delivery; the
// interaction deleted once the clip is saved, cancelled and deleted when the job is cancelled;
// failures, refusals, retries, and a shut-down model's 404 mapped to a clear error.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeGeminiServer } from '../../fakes/gemini/fake-gemini-server.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { FAST_REMOTE, cancelJob, probeArtifact, runJob, submit, waitForEnd } from '../../support/backend-jobs.js';
import { waitFor } from '../../support/wait-for.js';
import { parseCatalogRow, shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../../src/config/schema.js';
import { remoteSettings } from '../../../src/generators/remote/remote-settings.js';
import { Veo3VideoGenerator } from '../../../src/generators/veo3/veo3-video-generator.js';
import { TaskGoneError } from '../../../src/errors/task-gone-error.js';
import { generateRecording, resumeRecorded } from '../../support/recorded-task.js';

const API_KEY = 'AIza-test-omni-key-0123456789';
const THREE_SEGMENTS = 'A lighthouse at dawn. Waves break on the rocks. Gulls circle the lamp.';
const gemini = new FakeGeminiServer(API_KEY);
const services: TestService[] = [];

beforeAll(async () => {
  await gemini.start();
});
afterAll(async () => {
  await gemini.stop();
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  gemini.reset();
});

async function omni(section: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Promise<TestService> {
  const svc = await startTestService({
    default_backend: 'veo3',
    segment_duration_seconds: 6,
    google_veo: { api_key: API_KEY, gemini_base_url: gemini.url, ...section },
    remote_api_settings: FAST_REMOTE,
    ...top,
  });
  services.push(svc);
  return svc;
}

type CreateBody = {
  model: string;
  input: string | { type: string; text?: string; data?: string; mime_type?: string }[];
  background: boolean;
  response_format: Record<string, unknown>;
  generation_config: { video_config: { task: string } };
};
const creates = () => gemini.requests.filter((r) => r.method === 'POST' && r.path === '/v1beta/interactions');
const createBodies = () => creates().map((r) => JSON.parse(r.body.toString()) as CreateBody);

describe('Gemini Omni on the Gemini API (Interactions API)', () => {
  it('runs a 3-segment job with only an API key: text first, then the previous last frame as an image block; every interaction deleted once saved', async () => {
    const svc = await omni();
    const { id, job, lines } = await runJob(svc, THREE_SEGMENTS);
    expect(job.status).toBe('finished');
    expect(creates()).toHaveLength(3);
    expect(creates().every((r) => r.headers['x-goog-api-key'] === API_KEY)).toBe(true);
    const bodies = createBodies();
    for (const body of bodies) {
      expect(body).toMatchObject({
        model: 'gemini-omni-1.1-flash',
        background: true,
        response_format: { type: 'video', aspect_ratio: '16:9', duration: '6s' },
      });
      expect(body.response_format).not.toHaveProperty('resolution');
    }
    expect(bodies.map((b) => b.generation_config.video_config.task)).toEqual([
      'text_to_video',
      'image_to_video',
      'image_to_video',
    ]);
    expect(typeof bodies[0]!.input).toBe('string');
    for (const body of bodies.slice(1)) {
      const input = body.input as { type: string; mime_type?: string }[];
      expect(input.map((c) => c.type)).toEqual(['text', 'image']);
      expect(input[1]!.mime_type).toBe('image/png');
    }
    // Polled to completion, then deleted.
    const interactions = [...gemini.interactions.interactions.values()];
    expect(interactions.every((i) => i.status === 'completed' && i.deleted)).toBe(true);
    expect(gemini.requests.filter((r) => r.method === 'DELETE')).toHaveLength(3);
    expect(
      lines.some((l) => /veo3: interaction v1_\S+ started \(gemini-omni-1\.1-flash, 6 s, the Gemini API\)/.test(l)),
    ).toBe(true);
    expect(job.estimated_cost_usd).toBeCloseTo(3 * 6 * 0.4, 5);
    const probe = await probeArtifact(svc, id);
    expect(probe.codec).toBe('h264');
    expect(probe.durationSeconds).toBeGreaterThan(2.5);
  });

  it('downloads a video delivered as a URI (above the inline limit) with the key; portrait and a resolution are sent', async () => {
    gemini.interactions.inlineLimitBytes = 1000;
    const svc = await omni({ resolution: '1080p' }, { video_aspect_ratio: '9:16', segment_duration_seconds: 8 });
    const { id, job } = await runJob(svc, 'A kite over the dunes.');
    expect(job.status).toBe('finished');
    expect(createBodies()[0]!.response_format).toEqual({
      type: 'video',
      aspect_ratio: '9:16',
      duration: '8s',
      resolution: '1080p',
    });
    const downloads = gemini.requests.filter((r) => r.path.includes(':download'));
    expect(downloads).toHaveLength(1);
    expect(downloads[0]!.headers['x-goog-api-key']).toBe(API_KEY);
    // Deleted only after the download.
    expect(gemini.requests.indexOf(downloads[0]!)).toBeLessThan(
      gemini.requests.findIndex((r) => r.method === 'DELETE'),
    );
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('cancels and deletes the interaction when the job is canceled', async () => {
    gemini.interactions.outcomes.push('stuck');
    const svc = await omni();
    const id = await submit(svc, 'A red kite over a field.');
    await waitFor(async () => [...gemini.interactions.interactions.values()].some((i) => i.polls >= 2), {
      what: 'polling',
    });
    expect(await cancelJob(svc, id)).toBe(200);
    expect((await waitForEnd(svc, id)).status).toBe('canceled');
    await waitFor(
      async () => [...gemini.interactions.interactions.values()].some((i) => i.status === 'cancelled' && i.deleted),
      { what: 'interaction cancel and delete' },
    );
    // The worker cancels its own interaction and the API process cancels the job's recorded one: a second cancel is harmless.
    expect(gemini.requests.filter((r) => r.path.endsWith('/cancel')).length).toBeGreaterThanOrEqual(1);
    expect(gemini.interactions.createCount).toBe(1);
  });

  it('fails clearly on a failed generation and on a model that answers in words; retries 429 and 503 at creation', async () => {
    gemini.interactions.outcomes.push('fail');
    const failed = await runJob(await omni(), 'A red kite over a field.');
    // ttv's sentence for the client; Google's own words in the job log.
    expect(failed.job.error).toBe('The video vendor (veo3) failed to render segment 1.');
    expect(
      failed.lines.some((l) =>
        /veo3 attempt failed: interaction v1_\S+ failed: Video generation failed due to an internal error\./.test(l),
      ),
    ).toBe(true);
    gemini.interactions.outcomes.push('refuse');
    const refused = await runJob(await omni(), 'A red kite over a field.');
    expect(refused.job.error).toBe('The video vendor (veo3) refused segment 1: content policy.');
    expect(
      refused.lines.some((l) => /finished without a video; the model answered: I can't create that video/.test(l)),
    ).toBe(true);
    // A failed or refused interaction is deleted too.
    expect([...gemini.interactions.interactions.values()].every((i) => i.deleted)).toBe(true);

    gemini.script('/v1beta/interactions', {
      status: 429,
      body: { error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } },
      headers: { 'retry-after': '0' },
    });
    gemini.script('/v1beta/interactions', {
      status: 503,
      body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } },
    });
    const { job, lines } = await runJob(await omni(), 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect(lines.some((l) => /veo3: HTTP 429 \(Resource has been exhausted\); retrying/.test(l))).toBe(true);
    expect(lines.some((l) => /veo3: HTTP 503 .*retrying/.test(l))).toBe(true);
  });

  it("a shut-down Omni model an operator row forces back to ga fails once with Google's 404, named with its replacement", async () => {
    const { vendor: _v, origin: _o, ...preview } = shippedCatalog().find('veo3', 'gemini-omni-flash-preview')!;
    expect(preview.lifecycle).toMatchObject({ status: 'retired', replacement: 'gemini-omni-1.1-flash' });
    const svc = await omni(
      { veo_model: 'gemini-omni-flash-preview' },
      { models: [parseCatalogRow({ ...preview, lifecycle: { status: 'ga' } })] },
    );
    const { job, lines } = await runJob(svc, 'A red kite over a field.');
    expect(job.error).toMatch(
      /gemini-omni-flash-preview is no longer available on the Gemini API: Google has shut it down \(HTTP 404\); its replacement is gemini-omni-1\.1-flash \(set google_veo\.veo_model: gemini-omni-1\.1-flash\)/,
    );
    expect(creates()).toHaveLength(1);
    expect(lines.join('\n')).not.toMatch(/retrying/);
  });

  it('a Vertex AI model with a Gemini API key, and generate_audio for Omni, are config errors before any call', async () => {
    await expect(omni({ veo_model: 'veo-3.1-generate-001' })).rejects.toThrow(
      /"veo-3\.1-generate-001" is served by Vertex AI, not by the Gemini API .*remove google_veo\.api_key and set google_veo\.project_id.*the Gemini API serves gemini-omni-1\.1-flash/,
    );
    await expect(omni({ generate_audio: true })).rejects.toThrow(/google_veo\.generate_audio is a Vertex AI parameter/);
    await expect(omni({ resolution: '480p' })).rejects.toThrow(
      /google_veo\.resolution "480p": gemini-omni-1\.1-flash renders 360p, 720p, 1080p, 4k/,
    );
    await expect(omni({}, { segment_duration_seconds: 12 })).rejects.toThrow(
      /gemini-omni-1\.1-flash renders 3–10 \(whole seconds\) s clips, not 12 s/,
    );
    // The model's range is the limit unless the operator sets a lower cap.
    await expect(omni({ max_duration: 6 }, { segment_duration_seconds: 8 })).rejects.toThrow(
      /duration 8 s is more than google_veo\.max_duration \(6 s\)/,
    );
    expect(gemini.requests).toHaveLength(0);
  });
  it('re-attaches to a recorded interaction that is still running without creating another (resume); one deleted after its clip was saved is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ttv-omni-resume-'));
    try {
      const config = configSchema.parse({
        google_veo: { api_key: API_KEY, gemini_base_url: gemini.url },
        remote_api_settings: FAST_REMOTE,
      });
      const generator = new Veo3VideoGenerator(config.google_veo, remoteSettings(config));
      const request = { prompt: 'A red kite.', durationSeconds: 6, outputPath: join(dir, 'first.mp4'), segment: 1 };
      // A finished interaction is deleted once its clip is saved: Google no longer knows it.
      const { task } = await generateRecording(generator, request);
      expect(task).toMatchObject({ backend: 'veo3', handles: { call: 'interactions' } });
      await expect(resumeRecorded(generator, task, request)).rejects.toBeInstanceOf(TaskGoneError);
      // One still running (as a killed worker leaves it) is followed to its end, without a create.
      const created = gemini.interactions.create(
        Buffer.from(
          JSON.stringify({
            model: task.model,
            input: 'A red kite.',
            background: true,
            response_format: { type: 'video', aspect_ratio: '16:9', duration: '6s' },
            generation_config: { video_config: { task: 'text_to_video' } },
          }),
        ),
      );
      const running = { ...task, taskId: (created.body as { id: string }).id, createdAt: new Date().toISOString() };
      const lines: string[] = [];
      const again = await resumeRecorded(generator, running, { ...request, outputPath: join(dir, 'again.mp4') }, (l) =>
        lines.push(l),
      );
      expect((await stat(again.path)).size).toBeGreaterThan(1000);
      expect(creates()).toHaveLength(1);
      expect(lines.some((l) => l.includes(`veo3: re-attached to interaction ${running.taskId}`))).toBe(true);
      expect(gemini.interactions.interactions.get(running.taskId)!.deleted).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
