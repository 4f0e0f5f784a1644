// Google Veo through whole jobs on the API against the protocol-faithful fake: Veo 3.1 GA on
// Vertex AI with a service-account JWT exchanged for a token (text, chained first frames, first +
// last frames, resolution and audio), inline and Cloud Storage outputs, safety filtering, operation
// errors, the poll deadline, a retired model forced back by an operator row and refused by the
// fake with Google's 404; Gemini Omni 1.2 on Vertex AI through the Interactions API (inline, and
// written to Cloud Storage with output_bucket); and predictLongRunning on the Gemini API for a model only an operator
// row knows (the Gemini API has shut its Veo models down), with its download, retries and no cancel.
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeVeoServer } from '../../fakes/veo3/fake-veo-server.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { writeServiceAccount, type TestServiceAccount } from '../../support/service-account.js';
import {
  FAST_REMOTE,
  cancelJob,
  jobLog,
  probeArtifact,
  runJob,
  submit,
  waitForEnd,
} from '../../support/backend-jobs.js';
import { waitFor } from '../../support/wait-for.js';
import { parseCatalogRow, shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { configSchema } from '../../../src/config/schema.js';
import { remoteSettings } from '../../../src/generators/remote/remote-settings.js';
import { Veo3VideoGenerator } from '../../../src/generators/veo3/veo3-video-generator.js';
import { TaskGoneError } from '../../../src/errors/task-gone-error.js';
import { generateRecording, resumeRecorded } from '../../support/recorded-task.js';

const API_KEY = 'AIza-test-gemini-key-0123456789';
const PROJECT = 'ttv-test-project';
const THREE_SEGMENTS = 'A lighthouse at dawn. Waves break on the rocks. Gulls circle the lamp.';
let veo: FakeVeoServer;
let account: TestServiceAccount;
let dir: string;
const services: TestService[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-veo-'));
  // The key file names the fake's token URL, known only once the fake listens.
  veo = new FakeVeoServer({ apiKey: API_KEY, project: PROJECT });
  await veo.start();
  account = await writeServiceAccount(dir, veo.tokenUrl);
  veo.trustServiceAccount(account.publicKeyPem, account.clientEmail);
});
afterAll(async () => {
  await veo.stop();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  veo.reset();
});

async function vertex(
  extra: Record<string, unknown> = {},
  remote: Record<string, unknown> = {},
  top: Record<string, unknown> = {},
): Promise<TestService> {
  const svc = await startTestService({
    default_backend: 'veo3',
    segment_duration_seconds: 6,
    google_veo: {
      project_id: PROJECT,
      credentials_path: account.file,
      region: 'us-central1',
      api_endpoint: veo.url,
      storage_endpoint: veo.url,
      ...extra,
    },
    remote_api_settings: { ...FAST_REMOTE, ...remote },
    ...top,
  });
  services.push(svc);
  return svc;
}

/** An operator's models: row that takes a shipped row and sets its lifecycle. */
function forcedRow(id: string, lifecycle: Record<string, unknown>) {
  const { vendor: _vendor, origin: _origin, ...row } = shippedCatalog().find('veo3', id)!;
  return parseCatalogRow({ ...row, lifecycle });
}

const starts = () => veo.requests.filter((r) => r.path.endsWith(':predictLongRunning'));
type StartBody = {
  instances: { prompt: string; image?: { mimeType: string }; lastFrame?: { mimeType: string } }[];
  parameters: Record<string, unknown>;
};
const startBodies = () => starts().map((r) => JSON.parse(r.body.toString()) as StartBody);

describe('Veo 3.1 on Vertex AI', () => {
  it('runs a 3-segment job on the default veo-3.1-generate-001 with a service-account token; chained segments start on the previous last frame', async () => {
    const svc = await vertex();
    const { id, job, lines } = await runJob(svc, THREE_SEGMENTS);
    expect(job.status).toBe('finished');
    expect(starts()).toHaveLength(3);
    for (const req of starts()) {
      expect(req.path).toBe(
        `/v1beta1/projects/${PROJECT}/locations/us-central1/publishers/google/models/veo-3.1-generate-001:predictLongRunning`,
      );
      expect(String(req.headers.authorization)).toMatch(/^Bearer ya29\.fake-/);
    }
    const bodies = startBodies();
    for (const body of bodies) {
      expect(body.parameters).toMatchObject({ durationSeconds: 6, aspectRatio: '16:9', sampleCount: 1 });
      expect(body.parameters.storageUri).toBeUndefined();
      expect(body.instances[0]!.lastFrame).toBeUndefined();
    }
    // Chaining: segment 1 from text, segments 2 and 3 from the last frame of the one before.
    expect(bodies.map((b) => b.instances[0]!.image?.mimeType ?? null)).toEqual([null, 'image/png', 'image/png']);
    // One token for the whole job: it is cached until it nears expiry.
    expect(veo.requests.filter((r) => r.path === '/token')).toHaveLength(1);
    expect(veo.requests.some((r) => r.path.endsWith(':fetchPredictOperation'))).toBe(true);
    expect(job.estimated_cost_usd).toBeCloseTo(3 * 6 * 0.4, 5);
    expect(lines.join('\n')).not.toMatch(/ya29\.|BEGIN PRIVATE KEY/);
    const probe = await probeArtifact(svc, id);
    expect(probe.codec).toBe('h264');
    expect(probe.durationSeconds).toBeGreaterThan(2.5);
  });

  it('veo-3.1-fast-generate-001 in keyframe mode: first and last frame on every segment, portrait, 1080p, generateAudio', async () => {
    const svc = await vertex(
      { veo_model: 'veo-3.1-fast-generate-001', resolution: '1080p', generate_audio: false },
      {},
      { generation_mode: 'keyframe', video_aspect_ratio: '9:16', segment_duration_seconds: 4 },
    );
    const { id, job } = await runJob(svc, 'A kite over the dunes. The kite dives.');
    expect(job.status).toBe('finished');
    expect(starts().every((r) => r.path.endsWith('/models/veo-3.1-fast-generate-001:predictLongRunning'))).toBe(true);
    for (const body of startBodies()) {
      expect(body.parameters).toMatchObject({
        durationSeconds: 4,
        aspectRatio: '9:16',
        resolution: '1080p',
        generateAudio: false,
      });
      expect(body.instances[0]!.image?.mimeType).toMatch(/^image\//);
      expect(body.instances[0]!.lastFrame?.mimeType).toMatch(/^image\//);
    }
    expect(job.estimated_cost_usd).toBeCloseTo(2 * 4 * 0.15, 5);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('writes to storageUri when output_bucket is set and fetches the object from Cloud Storage', async () => {
    const svc = await vertex({ output_bucket: 'veo-out' });
    const { id, job } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect(startBodies()[0]!.parameters.storageUri).toMatch(/^gs:\/\/veo-out\/ttv\/\d+-segment-1\/$/);
    expect(
      veo.requests.some((r) => r.path.startsWith('/storage/v1/b/veo-out/o/') && r.path.includes('alt=media')),
    ).toBe(true);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('fails clearly on a refused token grant, a safety filter and an operation error', async () => {
    // A key the token service does not know (same email, another RSA key): its assertion is refused.
    const otherDir = await mkdtemp(join(dir, 'other-'));
    const other = await writeServiceAccount(otherDir, veo.tokenUrl);
    const bad = await runJob(await vertex({ credentials_path: other.file }), 'A red kite over a field.');
    expect(bad.job.status).toBe('failed');
    expect(bad.job.error).toBe('The video vendor (veo3) answered HTTP 400 for segment 1 (request refused).');
    expect(bad.lines.some((l) => /veo3 \(OAuth token\): HTTP 400 \(invalid_grant\)/.test(l))).toBe(true);
    expect(starts()).toHaveLength(0);
    veo.outcomes.push('safety');
    const refused = await runJob(await vertex(), 'A red kite over a field.');
    expect(refused.job.error).toBe('The video vendor (veo3) refused segment 1: content policy.');
    expect(refused.lines.some((l) => /withheld by safety filters: Unable to generate videos/.test(l))).toBe(true);
    veo.outcomes.push('fail');
    const failed = await runJob(await vertex(), 'A red kite over a field.');
    expect(failed.job.error).toBe('The video vendor (veo3) failed to render segment 1.');
    expect(
      failed.lines.some((l) => /failed: Video generation failed due to an internal error\. \(code 13\)/.test(l)),
    ).toBe(true);
  });

  it('refuses to start a worker whose Google settings cannot work, naming the key and what to change', async () => {
    await expect(
      startTestService({ default_backend: 'veo3', google_veo: { credentials_path: account.file } }),
    ).rejects.toThrow(/^default_backend: veo3 cannot run: google_veo\.project_id is required/);
    await expect(vertex({ credentials_path: join(dir, 'absent.json') })).rejects.toThrow(
      /google_veo\.credentials_path does not exist/,
    );
    await expect(vertex({ resolution: '4k' })).rejects.toThrow(
      /google_veo\.resolution "4k": veo-3\.1-generate-001 renders 720p, 1080p/,
    );
    // Gemini Omni is a Gemini API model: a Vertex AI section is told to use a key.
    await expect(vertex({ veo_model: 'gemini-omni-1.1-flash' })).rejects.toThrow(
      /"gemini-omni-1\.1-flash" is served by the Gemini API, not by Vertex AI .*set google_veo\.api_key/,
    );
    expect(veo.requests).toHaveLength(0);
  });

  it('gives up at the poll deadline (the Python original polled forever)', async () => {
    veo.outcomes.push('stuck');
    const { job } = await runJob(await vertex({}, { timeout: 0.4 }), 'A red kite over a field.');
    expect(job.error).toMatch(/did not finish before remote_api_settings\.timeout/);
  });

  it('a retired model an operator row forces back to ga reaches Google once and fails with its 404, named and with the replacement', async () => {
    const shipped = shippedCatalog().find('veo3', 'veo-3.0-generate-001')!;
    expect(shipped.lifecycle).toMatchObject({ status: 'retired', replacement: 'veo-3.1-generate-001' });
    const svc = await vertex(
      { veo_model: 'veo-3.0-generate-001' },
      { max_retries: 3 },
      { models: [forcedRow('veo-3.0-generate-001', { status: 'ga' })] },
    );
    const { job, lines } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(
      /veo-3\.0-generate-001 is no longer available on Vertex AI: Google has shut it down \(HTTP 404\); its replacement is veo-3\.1-generate-001 \(set google_veo\.veo_model: veo-3\.1-generate-001\)/,
    );
    expect(job.error).not.toMatch(/\{|NOT_FOUND|projects\//);
    // Final: one create, no retries, and no operation to poll.
    expect(starts()).toHaveLength(1);
    expect(veo.requests.some((r) => r.path.endsWith(':fetchPredictOperation'))).toBe(false);
    expect(lines.join('\n')).not.toMatch(/retrying/);
  });

  it('re-attaches to a recorded operation by its name without starting another (resume, fetchPredictOperation), and an operation Google no longer knows is gone', async () => {
    const config = configSchema.parse({
      google_veo: {
        project_id: PROJECT,
        credentials_path: account.file,
        region: 'us-central1',
        api_endpoint: veo.url,
        storage_endpoint: veo.url,
      },
      remote_api_settings: FAST_REMOTE,
    });
    const generator = new Veo3VideoGenerator(config.google_veo, remoteSettings(config));
    const request = { prompt: 'A red kite.', durationSeconds: 6, outputPath: join(dir, 'first.mp4'), segment: 1 };
    const { task } = await generateRecording(generator, request);
    expect(task).toMatchObject({ backend: 'veo3', model: 'veo-3.1-generate-001', handles: { call: 'predict' } });
    expect(task.handles!.name!.endsWith(`/operations/${task.taskId}`)).toBe(true);
    const lines: string[] = [];
    const again = await resumeRecorded(generator, task, { ...request, outputPath: join(dir, 'again.mp4') }, (l) =>
      lines.push(l),
    );
    expect((await stat(again.path)).size).toBeGreaterThan(1000);
    expect(veo.createCount).toBe(1);
    expect(starts()).toHaveLength(1);
    expect(lines.some((l) => l.includes(`veo3: re-attached to operation ${task.taskId}`))).toBe(true);
    const gone = {
      ...task,
      taskId: 'gone',
      handles: { ...task.handles, name: task.handles!.name!.replace(task.taskId, 'gone') },
    };
    await expect(resumeRecorded(generator, gone, request)).rejects.toBeInstanceOf(TaskGoneError);
  });
});

describe('Gemini Omni on Vertex AI (Interactions API)', () => {
  const interactionCreates = () => veo.requests.filter((r) => r.method === 'POST' && /\/interactions$/.test(r.path));

  it('runs a chained job on gemini-omni-1.2-flash with the service-account token: inline clips, interactions deleted once saved', async () => {
    const svc = await vertex(
      { veo_model: 'gemini-omni-1.2-flash', max_duration: 15 },
      {},
      { segment_duration_seconds: 12 },
    );
    const { id, job } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(interactionCreates().map((r) => r.path)).toEqual([
      `/v1beta1/projects/${PROJECT}/locations/us-central1/interactions`,
      `/v1beta1/projects/${PROJECT}/locations/us-central1/interactions`,
    ]);
    expect(interactionCreates().every((r) => /^Bearer ya29\.fake-/.test(String(r.headers.authorization)))).toBe(true);
    const bodies = interactionCreates().map(
      (r) =>
        JSON.parse(r.body.toString()) as {
          response_format: Record<string, unknown>;
          generation_config: { video_config: { task: string } };
        },
    );
    expect(bodies.map((b) => b.generation_config.video_config.task)).toEqual(['text_to_video', 'image_to_video']);
    expect(bodies[0]!.response_format).toEqual({ type: 'video', aspect_ratio: '16:9', duration: '12s' });
    expect([...veo.interactions.interactions.values()].every((i) => i.status === 'completed' && i.deleted)).toBe(true);
    expect(starts()).toHaveLength(0);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('with output_bucket the clip is written to gcs_uri (delivery "uri") and read back from Cloud Storage', async () => {
    const svc = await vertex({ veo_model: 'gemini-omni-1.2-flash', output_bucket: 'omni-out' });
    const { id, job } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('finished');
    const body = JSON.parse(interactionCreates()[0]!.body.toString()) as { response_format: Record<string, unknown> };
    expect(body.response_format).toMatchObject({
      delivery: 'uri',
      gcs_uri: expect.stringMatching(/^gs:\/\/omni-out\/ttv\/\d+-segment-1\/$/),
    });
    expect(
      veo.requests.some((r) => r.path.startsWith('/storage/v1/b/omni-out/o/') && r.path.includes('alt=media')),
    ).toBe(true);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });
});

describe('predictLongRunning on the Gemini API, for a model an operator row adds', () => {
  // The Gemini API serves no Veo model any more (it moved to Gemini Omni), so a future one is
  // stood in for by a model the fake serves and ttv only knows from the config's models: list.
  const row = parseCatalogRow({
    backend: 'veo3',
    id: 'veo-4.0-generate-preview',
    protocol: 'gemini-predict',
    modes: { text: { '16:9': '16:9', '9:16': '9:16' }, image: { '16:9': '16:9', '9:16': '9:16' }, first_last: true },
    durations: { seconds: [4, 6, 8] },
    duration_field: true,
    audio: 'always',
    usd_per_second: 0.5,
    max_prompt_length: 1024,
    lifecycle: { status: 'preview' },
    source: { ref: 'operator test row', read: '2026-12-06' },
  });

  async function gemini(remote: Record<string, unknown> = {}, key = API_KEY): Promise<TestService> {
    veo.serve(row);
    const svc = await startTestService({
      default_backend: 'Veo',
      segment_duration_seconds: 6,
      google_veo: { api_key: key, gemini_base_url: veo.url, veo_model: row.id },
      models: [row],
      remote_api_settings: { ...FAST_REMOTE, ...remote },
    });
    services.push(svc);
    return svc;
  }

  it('runs a whole job with an API key and downloads the sample with it', async () => {
    const svc = await gemini();
    const { id, job } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(starts().map((r) => r.path)).toEqual([
      `/v1beta/models/${row.id}:predictLongRunning`,
      `/v1beta/models/${row.id}:predictLongRunning`,
    ]);
    expect(
      veo.requests.filter((r) => r.path.includes(':download')).every((r) => r.headers['x-goog-api-key'] === API_KEY),
    ).toBe(true);
    expect(job.estimated_cost_usd).toBeCloseTo(2 * 6 * 0.5, 5);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('does not retry a rejected key; a canceled job leaves its operation running (Google documents no cancel) and the job log says so', async () => {
    const bad = await runJob(await gemini({}, 'AIza-wrong-key-000000000'), 'A red kite over a field.');
    expect(bad.job.error).toBe('The video vendor (veo3) answered HTTP 400 for segment 1 (request refused).');
    expect(bad.lines.some((l) => /veo3 attempt failed: HTTP 400 \(API key not valid/.test(l))).toBe(true);
    expect(starts()).toHaveLength(1);

    veo.outcomes.push('stuck');
    const svc = await gemini();
    const id = await submit(svc, 'A red kite over a field.');
    await waitFor(async () => [...veo.operations.values()].some((o) => o.polls >= 2), { what: 'polling' });
    expect(await cancelJob(svc, id)).toBe(200);
    expect((await waitForEnd(svc, id)).status).toBe('canceled');
    const op = [...veo.operations.values()].at(-1)!.name.split('/').pop()!;
    await waitFor(
      async () =>
        (await jobLog(svc, id)).some((l) =>
          l.includes(
            `veo3: task ${op} cannot be stopped (Google documents no cancel for Veo operations) and keeps running; it may still bill`,
          ),
        )
          ? true
          : null,
      { what: 'the cannot-be-stopped line' },
    );
    expect(veo.requests.some((r) => r.path.endsWith(':cancel'))).toBe(false);
  });

  it('retries 429 and 503 from the API', async () => {
    veo.script('/v1beta/models/', {
      status: 429,
      body: { error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } },
      headers: { 'retry-after': '0' },
    });
    veo.script('/v1beta/models/', {
      status: 503,
      body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } },
    });
    const { job, lines } = await runJob(await gemini(), 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect(lines.some((l) => /veo3: HTTP 429.*retrying/.test(l))).toBe(true);
    expect(lines.some((l) => /veo3: HTTP 503.*retrying/.test(l))).toBe(true);
  });

  it('never sends a create again after a 500 (Google may have started the operation): "vendor outcome unknown"', async () => {
    veo.script('/v1beta/models/', {
      status: 500,
      body: { error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } },
    });
    const { job } = await runJob(await gemini(), 'A red kite over a field.');
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/Segment 1 failed: veo3: vendor outcome unknown: the create call answered HTTP 500/);
    expect(veo.requests.filter((r) => r.method === 'POST' && r.path.includes(':predictLongRunning'))).toHaveLength(1);
  });

  it('finishes through a slow sample download, and retries a truncated one', async () => {
    veo.downloadFaults.push('slow', 'truncated');
    const svc = await gemini();
    const { id, job, lines } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(lines.some((l) => /veo3: download from .* was truncated.*retrying/.test(l))).toBe(true);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('the Gemini API answers a shut-down Veo model with its 404, mapped to the catalog replacement', async () => {
    const svc = await startTestService({
      default_backend: 'veo3',
      segment_duration_seconds: 6,
      google_veo: { api_key: API_KEY, gemini_base_url: veo.url, veo_model: 'veo-3.1-generate-preview' },
      models: [forcedRow('veo-3.1-generate-preview', { status: 'ga' })],
      remote_api_settings: FAST_REMOTE,
    });
    services.push(svc);
    const { job } = await runJob(svc, 'A red kite over a field.');
    expect(job.error).toMatch(
      /veo-3\.1-generate-preview is no longer available on the Gemini API: Google has shut it down \(HTTP 404\); its replacement is gemini-omni-1\.1-flash/,
    );
    expect(starts()).toHaveLength(1);
  });
});
