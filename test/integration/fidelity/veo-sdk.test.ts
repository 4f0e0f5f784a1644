// Fidelity: Google's official client (@google/genai) drives the project's Veo fake on both APIs —
// the Gemini API with a key, and Vertex AI (the SDK's default v1beta1) with an OAuth token — through
// generateVideos → getVideosOperation → download and every injected failure, and through the
// refusals of models Google does not serve: a retired one (404 "no longer available"), an unknown
// one (404), a Gemini Omni one (400: Interactions API only). The SDK has no cancel for video
// operations, so the Gemini cancel is the documented POST {operation}:cancel by hand. Gemini Omni
// on Vertex AI goes through the same fake's Interactions API, with the SDK's Vertex routing. The Gemini API
// serves no Veo model any more, so its path is driven with a model the fake is told to serve.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, GoogleGenAI, type GenerateVideosOperation, type GoogleGenAIInteraction } from '@google/genai';
import { FakeVeoServer } from '../../fakes/veo3/fake-veo-server.js';
import { sampleMp4, samplePng } from '../../fakes/shared/fake-http-server.js';
import { writeServiceAccount } from '../../support/service-account.js';
import { parseCatalogRow } from '../../../src/catalog/model-catalog.js';

const API_KEY = 'AIza-fidelity-key-0123456789';
const PROJECT = 'ttv-fidelity-project';
/** Vertex AI's current Veo. */
const MODEL = 'veo-3.1-generate-001';
/** A Veo model on the Gemini API, which the fake serves because the test says so. */
const GEMINI_MODEL = 'veo-4.0-generate-preview';
const geminiRow = parseCatalogRow({
  backend: 'veo3',
  id: GEMINI_MODEL,
  protocol: 'gemini-predict',
  modes: { text: { '16:9': '16:9', '9:16': '9:16' }, image: { '16:9': '16:9', '9:16': '9:16' }, first_last: true },
  durations: { seconds: [4, 6, 8] },
  duration_field: true,
  audio: 'always',
  usd_per_second: 0.5,
  max_prompt_length: 1024,
  lifecycle: { status: 'preview' },
  source: { ref: 'test', read: '2026-12-06' },
});
const fake = new FakeVeoServer({ apiKey: API_KEY, project: PROJECT });
let dir = '';
let gemini: GoogleGenAI;
let vertex: GoogleGenAI;
const image = { imageBytes: samplePng().toString('base64'), mimeType: 'image/png' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-veo-sdk-'));
  await fake.start();
  const account = await writeServiceAccount(dir, fake.tokenUrl);
  fake.trustServiceAccount(account.publicKeyPem, account.clientEmail);
  gemini = new GoogleGenAI({ apiKey: API_KEY, httpOptions: { baseUrl: fake.url } });
  vertex = new GoogleGenAI({
    vertexai: true,
    project: PROJECT,
    location: 'us-central1',
    httpOptions: { baseUrl: fake.url },
    googleAuthOptions: { authClient: bearer('ya29.not-issued-by-the-fake') },
  });
});
afterAll(async () => {
  await fake.stop();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  fake.reset();
  fake.serve(geminiRow);
});
beforeAll(() => fake.serve(geminiRow));

/**
 * An auth client that hands the SDK a fixed bearer token (the SDK bundles its own
 * google-auth-library, whose JWT client cannot be aimed at a test token endpoint).
 */
function bearer(token: string): never {
  return { getRequestHeaders: async () => new Headers({ authorization: `Bearer ${token}` }) } as never;
}

/** A token the fake's token endpoint issued (jwt-bearer grant signed by the service account). */
async function vertexClient(): Promise<GoogleGenAI> {
  const { ServiceAccountToken } = await import('../../../src/generators/veo3/service-account-token.js');
  const account = JSON.parse(await readFile(join(dir, 'service-account.json'), 'utf8')) as { token_uri: string };
  expect(account.token_uri).toBe(fake.tokenUrl);
  const token = await new ServiceAccountToken(join(dir, 'service-account.json')).token(
    new AbortController().signal,
    0,
    10,
  );
  return new GoogleGenAI({
    vertexai: true,
    project: PROJECT,
    location: 'us-central1',
    httpOptions: { baseUrl: fake.url },
    googleAuthOptions: { authClient: bearer(token) },
  });
}

async function untilDone(ai: GoogleGenAI, op: GenerateVideosOperation): Promise<GenerateVideosOperation> {
  for (let i = 0; i < 10 && !op.done; i += 1) op = await ai.operations.getVideosOperation({ operation: op });
  return op;
}

describe('@google/genai against the Veo fake: Gemini API', () => {
  it('generateVideos → getVideosOperation → files.download of the https file URI', async () => {
    let op = await gemini.models.generateVideos({
      model: GEMINI_MODEL,
      source: { prompt: 'A kite.', image },
      config: { durationSeconds: 6, aspectRatio: '9:16', numberOfVideos: 1 },
    });
    expect(op.name).toMatch(/^models\/veo-4\.0-generate-preview\/operations\/[a-z0-9]+$/);
    op = await untilDone(gemini, op);
    const video = op.response!.generatedVideos![0]!;
    expect(video.video!.uri).toMatch(
      /^https:\/\/generativelanguage\.googleapis\.com\/v1beta\/files\/[a-z0-9]+:download\?alt=media$/,
    );
    const out = join(dir, 'gemini.mp4');
    await gemini.files.download({ file: video, downloadPath: out });
    await expect.poll(async () => (await readFile(out)).length).toBe(sampleMp4().length);
    expect(
      fake.requests.filter((r) => r.path.includes(':download')).every((r) => r.headers['x-goog-api-key'] === API_KEY),
    ).toBe(true);

    // An injected download fault reaches the SDK as Google's error status.
    fake.downloadFaults.push('unavailable');
    const failed = await gemini.files
      .download({ file: video, downloadPath: join(dir, 'unavailable.mp4') })
      .catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(ApiError);
    expect((failed as ApiError).status).toBe(503);
  });

  it('the SDK itself refuses generateAudio on the Gemini API, and so does the fake', async () => {
    await expect(
      gemini.models.generateVideos({ model: GEMINI_MODEL, source: { prompt: 'x' }, config: { generateAudio: true } }),
    ).rejects.toThrow(/generateAudio parameter is only supported in/);
    const res = await fetch(`${fake.url}/v1beta/models/${GEMINI_MODEL}:predictLongRunning`, {
      method: 'POST',
      headers: { 'x-goog-api-key': API_KEY, 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ prompt: 'x' }], parameters: { generateAudio: true } }),
    });
    expect(res.status).toBe(400);
  });

  it('no cancel for a video operation (Google documents none), and each injected failure: operation error, safety filter, bad duration, wrong key', async () => {
    fake.outcomes.push('stuck', 'fail', 'safety');
    const stuck = await gemini.models.generateVideos({ model: GEMINI_MODEL, source: { prompt: 'A kite.' } });
    const cancel = await fetch(`${fake.url}/v1beta/${stuck.name}:cancel`, {
      method: 'POST',
      headers: { 'x-goog-api-key': API_KEY },
    });
    expect(cancel.status).toBe(404);

    const failed = await untilDone(
      gemini,
      await gemini.models.generateVideos({ model: GEMINI_MODEL, source: { prompt: 'A kite.' } }),
    );
    expect(failed.error).toMatchObject({ code: 13 });
    const filtered = await untilDone(
      gemini,
      await gemini.models.generateVideos({ model: GEMINI_MODEL, source: { prompt: 'A kite.' } }),
    );
    expect(filtered.response!.raiMediaFilteredCount).toBe(1);
    expect(filtered.response!.generatedVideos ?? []).toHaveLength(0);

    const badLength = await gemini.models
      .generateVideos({ model: GEMINI_MODEL, source: { prompt: 'x' }, config: { durationSeconds: 5 } })
      .catch((e: unknown) => e);
    expect(badLength).toBeInstanceOf(ApiError);
    expect((badLength as ApiError).status).toBe(400);
    const wrong = new GoogleGenAI({ apiKey: 'AIza-wrong-000000000', httpOptions: { baseUrl: fake.url } });
    await expect(wrong.models.generateVideos({ model: GEMINI_MODEL, source: { prompt: 'x' } })).rejects.toBeInstanceOf(
      ApiError,
    );
  });
});

describe('@google/genai against the Veo fake: Vertex AI', () => {
  it('generateVideos on v1beta1 with an OAuth token → fetchPredictOperation → inline bytes, with generateAudio', async () => {
    const ai = await vertexClient();
    let op = await ai.models.generateVideos({
      model: MODEL,
      source: { prompt: 'A kite.', image },
      config: { durationSeconds: 8, aspectRatio: '16:9', generateAudio: true, numberOfVideos: 1 },
    });
    const start = fake.requests.find((r) => r.path.endsWith(':predictLongRunning'))!;
    expect(start.path).toBe(
      `/v1beta1/projects/${PROJECT}/locations/us-central1/publishers/google/models/${MODEL}:predictLongRunning`,
    );
    expect(JSON.parse(start.body.toString()).parameters).toMatchObject({ generateAudio: true, durationSeconds: 8 });
    op = await untilDone(ai, op);
    const bytes = op.response!.generatedVideos![0]!.video!.videoBytes!;
    expect(Buffer.from(bytes, 'base64').equals(sampleMp4())).toBe(true);
  });

  it('each injected failure: an untrusted token, an operation error, a safety filter', async () => {
    const untrusted = await vertex.models
      .generateVideos({ model: MODEL, source: { prompt: 'x' } })
      .catch((e: unknown) => e);
    expect(untrusted).toBeInstanceOf(ApiError);
    expect((untrusted as ApiError).status).toBe(401);
    const ai = await vertexClient();
    fake.outcomes.push('fail', 'safety');
    const failed = await untilDone(ai, await ai.models.generateVideos({ model: MODEL, source: { prompt: 'A kite.' } }));
    expect(failed.error).toMatchObject({ code: 13 });
    const filtered = await untilDone(
      ai,
      await ai.models.generateVideos({ model: MODEL, source: { prompt: 'A kite.' } }),
    );
    expect(filtered.response!.raiMediaFilteredCount).toBe(1);
  });
});

describe('@google/genai against the Veo fake: models Google does not serve', () => {
  const refusal = async (call: Promise<unknown>) => {
    const err = await call.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApiError);
    return { status: (err as ApiError).status, message: (err as ApiError).message };
  };

  it('a retired model: 404 "no longer available" on Vertex AI and on the Gemini API', async () => {
    const ai = await vertexClient();
    const onVertex = await refusal(
      ai.models.generateVideos({ model: 'veo-3.0-generate-001', source: { prompt: 'x' } }),
    );
    expect(onVertex.status).toBe(404);
    expect(onVertex.message).toMatch(
      /Publisher Model `projects\/ttv-fidelity-project\/locations\/us-central1\/publishers\/google\/models\/veo-3\.0-generate-001` is no longer available/,
    );
    // Vertex AI removed its -preview endpoints too.
    expect(
      (await refusal(ai.models.generateVideos({ model: 'veo-3.1-generate-preview', source: { prompt: 'x' } }))).status,
    ).toBe(404);
    for (const model of [
      'veo-3.0-generate-001',
      'veo-2.0-generate-001',
      'veo-3.1-generate-preview',
      'veo-3.1-fast-generate-preview',
    ]) {
      const onGemini = await refusal(gemini.models.generateVideos({ model, source: { prompt: 'x' } }));
      expect({ model, status: onGemini.status }).toEqual({ model, status: 404 });
      expect(onGemini.message).toMatch(new RegExp(`models/${model.replace(/\./g, '\\.')} is no longer available`));
    }
    expect(fake.operations.size).toBe(0);
  });

  it('a model of the other API or none: 404 not found; Gemini Omni: 400, Interactions API only; a resolution the model lacks: 400', async () => {
    expect(
      await refusal(gemini.models.generateVideos({ model: 'veo-3.1-generate-001', source: { prompt: 'x' } })),
    ).toMatchObject({ status: 404, message: expect.stringMatching(/is not found for API version v1beta/) });
    const ai = await vertexClient();
    expect(
      await refusal(ai.models.generateVideos({ model: 'veo-9-imaginary', source: { prompt: 'x' } })),
    ).toMatchObject({ status: 404 });
    expect(
      await refusal(gemini.models.generateVideos({ model: 'gemini-omni-1.1-flash', source: { prompt: 'x' } })),
    ).toMatchObject({ status: 400, message: expect.stringMatching(/only supports Interactions API/) });
    expect(
      await refusal(ai.models.generateVideos({ model: MODEL, source: { prompt: 'x' }, config: { resolution: '4k' } })),
    ).toMatchObject({ status: 400, message: expect.stringMatching(/Unsupported resolution: 4k/) });
    const op = await ai.models.generateVideos({
      model: MODEL,
      source: { prompt: 'x', image },
      config: { resolution: '1080p', lastFrame: image, durationSeconds: 4, aspectRatio: '9:16' },
    });
    const start = fake.requests.filter((r) => r.path.endsWith(':predictLongRunning')).at(-1)!;
    expect(JSON.parse(start.body.toString())).toMatchObject({
      instances: [{ lastFrame: { mimeType: 'image/png' } }],
      parameters: { resolution: '1080p', durationSeconds: 4, aspectRatio: '9:16' },
    });
    expect((await untilDone(ai, op)).response?.generatedVideos).toHaveLength(1);
  });
});

describe('@google/genai interactions against the Veo fake: Gemini Omni on Vertex AI', () => {
  const once = { retries: { strategy: 'none' } } as const;
  type CreateParams = Parameters<GoogleGenAI['interactions']['create']>[0];
  const create = (ai: GoogleGenAI, params: Record<string, unknown>) =>
    ai.interactions.create(params as unknown as CreateParams, once) as Promise<GoogleGenAIInteraction>;

  it('create → get on v1beta1/projects/{p}/locations/{l}/interactions with the token; inline, or a gs:// object under gcs_uri', async () => {
    const ai = await vertexClient();
    const inline = await create(ai, {
      model: 'gemini-omni-1.2-flash',
      input: 'A kite.',
      background: true,
      response_format: { type: 'video', aspect_ratio: '9:16', duration: '15s' },
    });
    expect(fake.requests.at(-1)!.path).toBe(`/v1beta1/projects/${PROJECT}/locations/us-central1/interactions`);
    let done = inline;
    for (let i = 0; i < 10 && done.status === 'in_progress'; i += 1)
      done = await ai.interactions.get(inline.id, undefined, once);
    expect(Buffer.from(done.output_video!.data!, 'base64').equals(sampleMp4())).toBe(true);

    const stored = await create(ai, {
      model: 'gemini-omni-1.2-flash',
      input: 'A kite.',
      background: true,
      response_format: { type: 'video', delivery: 'uri', gcs_uri: 'gs://omni-out/run/' },
    });
    done = stored;
    for (let i = 0; i < 10 && done.status === 'in_progress'; i += 1)
      done = await ai.interactions.get(stored.id, undefined, once);
    expect(done.output_video?.uri).toBe(`gs://omni-out/run/${stored.id}/sample_0.mp4`);
    expect(fake.objects.has(done.output_video!.uri!)).toBe(true);
    await ai.interactions.delete(stored.id, undefined, once);
    expect(fake.interactions.interactions.get(stored.id)!.deleted).toBe(true);
  });

  it('refuses delivery "uri" without gcs_uri, a duration the model lacks, a Gemini API model, and an untrusted token', async () => {
    const ai = await vertexClient();
    const refused = async (params: Record<string, unknown>) => {
      const err = (await create(ai, params).then(
        () => null,
        (e: unknown) => e,
      )) as { status?: number; message: string } | null;
      return { status: err?.status, message: err?.message ?? '' };
    };
    expect(
      await refused({
        model: 'gemini-omni-1.2-flash',
        input: 'x',
        response_format: { type: 'video', delivery: 'uri' },
      }),
    ).toMatchObject({ status: 400, message: expect.stringMatching(/gcs_uri is required when delivery is uri/) });
    expect(
      await refused({
        model: 'gemini-omni-1.2-flash',
        input: 'x',
        response_format: { type: 'video', duration: '16s' },
      }),
    ).toMatchObject({ status: 400 });
    expect(await refused({ model: 'gemini-omni-1.1-flash', input: 'x' })).toMatchObject({ status: 404 });
    const untrusted = (await create(vertex, { model: 'gemini-omni-1.2-flash', input: 'x' }).then(
      () => null,
      (e: unknown) => e,
    )) as { status?: number } | null;
    expect(untrusted?.status).toBe(401);
    expect(fake.interactions.interactions.size).toBe(0);
  });
});
