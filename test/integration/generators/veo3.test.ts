// Veo 3 through whole jobs on the API against the protocol-faithful fake: Vertex AI with a
// service-account JWT exchanged for a token, inline and Cloud Storage outputs, the Gemini API with
// a key and its cancel, safety filtering, operation errors, and the poll deadline.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeVeoServer } from '../../fakes/veo3/fake-veo-server.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { writeServiceAccount, type TestServiceAccount } from '../../support/service-account.js';
import { FAST_REMOTE, cancelJob, probeArtifact, runJob, submit, waitForEnd } from '../../support/backend-jobs.js';
import { waitFor } from '../../support/wait-for.js';

const API_KEY = 'AIza-test-gemini-key-0123456789';
const PROJECT = 'ttv-test-project';
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

async function vertex(extra: Record<string, unknown> = {}, remote: Record<string, unknown> = {}): Promise<TestService> {
  const svc = await startTestService({
    default_backend: 'veo3',
    segment_duration_seconds: 6,
    google_veo: { project_id: PROJECT, credentials_path: account.file, region: 'us-central1', api_endpoint: veo.url, storage_endpoint: veo.url, ...extra },
    remote_api_settings: { ...FAST_REMOTE, ...remote },
  });
  services.push(svc);
  return svc;
}

async function gemini(remote: Record<string, unknown> = {}, key = API_KEY): Promise<TestService> {
  const svc = await startTestService({
    default_backend: 'Veo',
    segment_duration_seconds: 6,
    google_veo: { api_key: key, gemini_base_url: veo.url },
    remote_api_settings: { ...FAST_REMOTE, ...remote },
  });
  services.push(svc);
  return svc;
}

const starts = () => veo.requests.filter((r) => r.path.endsWith(':predictLongRunning'));

describe('Veo 3 on Vertex AI', () => {
  it('runs a whole job with a service-account token: duration, aspect ratio and model are sent', async () => {
    const svc = await vertex();
    const { id, job, lines } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(starts()).toHaveLength(2);
    for (const req of starts()) {
      expect(req.path).toBe(`/v1beta1/projects/${PROJECT}/locations/us-central1/publishers/google/models/veo-3.1-generate-001:predictLongRunning`);
      expect(String(req.headers.authorization)).toMatch(/^Bearer ya29\.fake-/);
      const body = JSON.parse(req.body.toString()) as { instances: { prompt: string; image?: { mimeType: string } }[]; parameters: Record<string, unknown> };
      expect(body.parameters).toMatchObject({ durationSeconds: 6, aspectRatio: '16:9', sampleCount: 1 });
      expect(body.parameters.storageUri).toBeUndefined();
    }
    // One token for the whole job: it is cached until it nears expiry.
    expect(veo.requests.filter((r) => r.path === '/token')).toHaveLength(1);
    expect(veo.requests.some((r) => r.path.endsWith(':fetchPredictOperation'))).toBe(true);
    expect(job.estimated_cost_usd).toBeCloseTo(2 * 6 * 0.4, 5);
    expect(lines.join('\n')).not.toMatch(/ya29\.|BEGIN PRIVATE KEY/);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('writes to storageUri when output_bucket is set and fetches the object from Cloud Storage', async () => {
    const svc = await vertex({ output_bucket: 'veo-out' });
    const { id, job } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect(JSON.parse(starts()[0]!.body.toString()).parameters.storageUri).toMatch(/^gs:\/\/veo-out\/ttv\/\d+-segment-1\/$/);
    expect(veo.requests.some((r) => r.path.startsWith('/storage/v1/b/veo-out/o/') && r.path.includes('alt=media'))).toBe(true);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('fails clearly on a refused token grant, a safety filter and an operation error', async () => {
    // A key the token service does not know (same email, another RSA key): its assertion is refused.
    const otherDir = await mkdtemp(join(dir, 'other-'));
    const other = await writeServiceAccount(otherDir, veo.tokenUrl);
    const bad = await runJob(await vertex({ credentials_path: other.file }), 'A red kite over a field.');
    expect(bad.job.status).toBe('failed');
    expect(bad.job.error).toMatch(/veo3 \(OAuth token\): HTTP 400 \(invalid_grant\)/);
    expect(starts()).toHaveLength(0);
    veo.outcomes.push('safety');
    const refused = await runJob(await vertex(), 'A red kite over a field.');
    expect(refused.job.error).toMatch(/withheld by safety filters \(Unable to generate videos/);
    veo.outcomes.push('fail');
    const failed = await runJob(await vertex(), 'A red kite over a field.');
    expect(failed.job.error).toMatch(/failed: Video generation failed due to an internal error\. \(code 13\)/);
  });

  it('refuses to start a worker whose Veo settings cannot work, naming the key', async () => {
    await expect(startTestService({ default_backend: 'veo3', google_veo: { credentials_path: account.file } }))
      .rejects.toThrow(/^default_backend: veo3 cannot run: google_veo\.project_id is required/);
    await expect(vertex({ credentials_path: join(dir, 'absent.json') })).rejects.toThrow(/google_veo\.credentials_path does not exist/);
    expect(veo.requests).toHaveLength(0);
  });

  it('gives up at the poll deadline (the Python original polled forever)', async () => {
    veo.outcomes.push('stuck');
    const { job } = await runJob(await vertex({}, { timeout: 0.4 }), 'A red kite over a field.');
    expect(job.error).toMatch(/did not finish before remote_api_settings\.timeout/);
  });
});

describe('Veo 3 on the Gemini API', () => {
  it('runs a whole job with an API key and downloads the sample with it', async () => {
    const svc = await gemini();
    const { id, job } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(starts().map((r) => r.path)).toEqual(['/v1beta/models/veo-3.1-generate-001:predictLongRunning', '/v1beta/models/veo-3.1-generate-001:predictLongRunning']);
    expect(veo.requests.filter((r) => r.path.includes(':download')).every((r) => r.headers['x-goog-api-key'] === API_KEY)).toBe(true);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('does not retry a rejected key, and cancels the operation when the job is canceled', async () => {
    const bad = await runJob(await gemini({}, 'AIza-wrong-key-000000000'), 'A red kite over a field.');
    expect(bad.job.error).toMatch(/veo3: HTTP 400 \(API key not valid/);
    expect(starts()).toHaveLength(1);

    veo.outcomes.push('stuck');
    const svc = await gemini();
    const id = await submit(svc, 'A red kite over a field.');
    await waitFor(async () => [...veo.operations.values()].some((o) => o.polls >= 2), { what: 'polling' });
    expect(await cancelJob(svc, id)).toBe(200);
    expect((await waitForEnd(svc, id)).status).toBe('canceled');
    await waitFor(async () => [...veo.operations.values()].some((o) => o.canceled), { what: 'operation cancel' });
  });

  it('retries 429 and 503 from the API', async () => {
    veo.script('/v1beta/models/', { status: 429, body: { error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' } }, headers: { 'retry-after': '0' } });
    veo.script('/v1beta/models/', { status: 503, body: { error: { code: 503, message: 'The service is currently unavailable.', status: 'UNAVAILABLE' } } });
    const { job, lines } = await runJob(await gemini(), 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect(lines.some((l) => /veo3: HTTP 429.*retrying/.test(l))).toBe(true);
    expect(lines.some((l) => /veo3: HTTP 503.*retrying/.test(l))).toBe(true);
  });

  it('finishes through a slow sample download, and retries a truncated one', async () => {
    veo.downloadFaults.push('slow', 'truncated');
    const svc = await gemini();
    const { id, job, lines } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(lines.some((l) => /veo3: download from .* was truncated.*retrying/.test(l))).toBe(true);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });
});
