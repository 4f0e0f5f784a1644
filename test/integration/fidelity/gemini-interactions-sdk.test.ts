// Fidelity: Google's official client (@google/genai 2.32.0) drives the project's Gemini fake through
// the Interactions API the way Gemini Omni is used — background create, get until completed, the
// video inline (output_video.data) or as a file URI above the inline limit, cancel and delete — and
// through every refusal the fake makes, so the fake's wire format cannot drift from the SDK's.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GoogleGenAI, type GoogleGenAIInteraction } from '@google/genai';
import { FakeGeminiServer } from '../../fakes/gemini/fake-gemini-server.js';
import { sampleMp4, samplePng } from '../../fakes/shared/fake-http-server.js';

const API_KEY = 'AIza-fidelity-interactions-0123';
const MODEL = 'gemini-omni-1.1-flash';
const fake = new FakeGeminiServer(API_KEY);
let ai: GoogleGenAI;
let dir = '';
/** No SDK retries: every refusal reaches the test as it left the fake. */
const once = { retries: { strategy: 'none' } } as const;

type Interaction = GoogleGenAIInteraction;
type CreateParams = Parameters<GoogleGenAI['interactions']['create']>[0];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-interactions-sdk-'));
  await fake.start();
  ai = new GoogleGenAI({ apiKey: API_KEY, httpOptions: { baseUrl: fake.url } });
});
afterAll(async () => {
  await fake.stop();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => fake.reset());

const create = (params: Record<string, unknown>) =>
  ai.interactions.create(params as unknown as CreateParams, once) as Promise<Interaction>;

async function untilDone(id: string): Promise<Interaction> {
  let interaction = await ai.interactions.get(id, undefined, once);
  for (let i = 0; i < 10 && (interaction.status === 'in_progress' || interaction.status === 'queued'); i += 1)
    interaction = await ai.interactions.get(id, undefined, once);
  return interaction;
}

/** What the SDK threw, with the status and Google's error message it read. */
async function refusal(call: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  const err = (await call.then(
    () => null,
    (e: unknown) => e,
  )) as { name: string; status?: number; message: string } | null;
  if (!err) throw new Error('the call was not refused');
  return { name: err.name, status: err.status, message: err.message };
}

describe('@google/genai interactions against the Gemini fake', () => {
  it('text to video in the background: create answers in_progress, get reaches completed with output_video inline', async () => {
    const started = await create({
      model: MODEL,
      input: 'A paper kite over a windy beach.',
      background: true,
      response_format: { type: 'video', aspect_ratio: '16:9', duration: '6s', resolution: '720p' },
      generation_config: { video_config: { task: 'text_to_video' } },
    });
    expect(started.status).toBe('in_progress');
    expect(started.id).toMatch(/^v1_/);
    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe('/v1beta/interactions');
    expect(req.headers['x-goog-api-key']).toBe(API_KEY);
    const done = await untilDone(started.id);
    expect(done.status).toBe('completed');
    expect(done.output_video?.mime_type).toBe('video/mp4');
    expect(Buffer.from(done.output_video!.data!, 'base64').equals(sampleMp4())).toBe(true);
    expect(done.steps.map((s) => s.type)).toEqual(['user_input', 'thought', 'model_output']);
  });

  it('image to video (first frame as an image block), portrait, 1080p', async () => {
    const started = await create({
      model: MODEL,
      background: true,
      input: [
        { type: 'text', text: 'The kite rises.' },
        { type: 'image', data: samplePng().toString('base64'), mime_type: 'image/png' },
      ],
      response_format: { type: 'video', aspect_ratio: '9:16', duration: '8s', resolution: '1080p' },
      generation_config: { video_config: { task: 'image_to_video' } },
    });
    const done = await untilDone(started.id);
    expect(done.status).toBe('completed');
    expect(fake.interactions.interactions.get(started.id)).toMatchObject({ task: 'image_to_video', images: 1 });
  });

  it('a video above the inline limit, or asked for by delivery "uri", comes back as a file URI the SDK downloads with the key', async () => {
    fake.interactions.inlineLimitBytes = 1000;
    const big = await untilDone((await create({ model: MODEL, input: 'A kite.', background: true })).id);
    expect(big.output_video?.data).toBeUndefined();
    expect(big.output_video?.uri).toMatch(
      /^https:\/\/generativelanguage\.googleapis\.com\/v1beta\/files\/[a-z0-9]+:download\?alt=media$/,
    );
    const out = join(dir, 'omni.mp4');
    await ai.files.download({ file: big.output_video!.uri!, downloadPath: out });
    await expect.poll(async () => (await readFile(out).catch(() => Buffer.alloc(0))).length).toBe(sampleMp4().length);
    expect(
      fake.requests.filter((r) => r.path.includes(':download')).every((r) => r.headers['x-goog-api-key'] === API_KEY),
    ).toBe(true);

    fake.interactions.inlineLimitBytes = 4 * 1024 * 1024;
    const asked = await untilDone(
      (
        await create({
          model: MODEL,
          input: 'A kite.',
          background: true,
          response_format: { type: 'video', delivery: 'uri' },
        })
      ).id,
    );
    expect(asked.output_video?.uri).toBeDefined();
  });

  it('without background the create call answers the finished interaction', async () => {
    const done = await create({ model: MODEL, input: 'A kite.' });
    expect(done.status).toBe('completed');
    expect(done.output_video?.data).toBeDefined();
  });

  it('cancel stops a running background interaction once; delete removes it', async () => {
    fake.interactions.outcomes.push('stuck');
    const started = await create({ model: MODEL, input: 'A kite.', background: true });
    expect((await ai.interactions.get(started.id, undefined, once)).status).toBe('in_progress');
    const cancelled = await ai.interactions.cancel(started.id, undefined, once);
    expect(cancelled.status).toBe('cancelled');
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: `/v1beta/interactions/${started.id}/cancel` });
    expect(await refusal(ai.interactions.cancel(started.id, undefined, once))).toMatchObject({ status: 400 });
    await ai.interactions.delete(started.id, undefined, once);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'DELETE', path: `/v1beta/interactions/${started.id}` });
    expect(await refusal(ai.interactions.get(started.id, undefined, once))).toMatchObject({
      name: 'NotFoundError',
      status: 404,
    });
  });

  it('a failed generation and a refused one', async () => {
    fake.interactions.outcomes.push('fail', 'refuse');
    const failed = await untilDone((await create({ model: MODEL, input: 'A kite.', background: true })).id);
    expect(failed.status).toBe('failed');
    expect(failed.errors?.[0]?.message).toMatch(/failed/);
    expect(failed.output_video).toBeUndefined();
    const refused = await untilDone((await create({ model: MODEL, input: 'A kite.', background: true })).id);
    expect(refused.status).toBe('completed');
    expect(refused.output_video).toBeUndefined();
    expect(refused.output_text).toMatch(/can't create that video/);
  });

  it('refuses what the SDK types make invalid, and models it does not serve', async () => {
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ model: MODEL, input: 'x', background: true, colour: 'red' }, 400, /Unknown name "colour"/],
      [{ model: MODEL, input: 'x', background: 'yes' }, 400, /TYPE_BOOL/],
      [{ model: MODEL, background: true }, 400, /input is required/],
      [{ model: MODEL, input: [{ type: 'text' }] }, 400, /text' is required/],
      [
        {
          model: MODEL,
          input: [
            { type: 'text', text: 'x' },
            { type: 'image', data: 'not base64!', mime_type: 'image/png' },
          ],
        },
        400,
        /not base64/,
      ],
      [
        {
          model: MODEL,
          input: [
            { type: 'text', text: 'x' },
            { type: 'image', data: samplePng().toString('base64'), mime_type: 'image/svg+xml' },
          ],
        },
        400,
        /Unsupported MIME type/,
      ],
      [
        { model: MODEL, input: 'x', response_format: { type: 'video', aspect_ratio: '1:1' } },
        400,
        /Unsupported aspect ratio/,
      ],
      [
        { model: MODEL, input: 'x', response_format: { type: 'video', duration: 6 } },
        400,
        /google\.protobuf\.Duration/,
      ],
      [
        { model: MODEL, input: 'x', response_format: { type: 'video', duration: '12s' } },
        400,
        /Unsupported output video duration 12/,
      ],
      [
        { model: MODEL, input: 'x', response_format: { type: 'video', resolution: '8k' } },
        400,
        /Unsupported resolution/,
      ],
      [
        { model: MODEL, input: 'x', response_format: { type: 'video', gcs_uri: 'gs://b/o' } },
        400,
        /only supported on Vertex AI/,
      ],
      [
        { model: MODEL, input: 'x', generation_config: { video_config: { task: 'image_to_video' } } },
        400,
        /exactly one image/,
      ],
      [{ model: MODEL, input: 'x', generation_config: { video_config: { task: 'dance' } } }, 400, /task/],
      [{ model: MODEL, input: 'x', generation_config: { videoConfig: {} } }, 400, /Unknown name "videoConfig"/],
      [
        { model: 'gemini-omni-flash-preview', input: 'x', background: true },
        404,
        /models\/gemini-omni-flash-preview is no longer available/,
      ],
      [{ model: 'veo-3.1-generate-001', input: 'x', background: true }, 404, /not supported for interactions/],
    ];
    for (const [params, status, message] of cases) {
      const err = await refusal(create(params));
      expect({ params, status: err.status }).toEqual({ params, status });
      expect(err.message).toMatch(message);
    }
    expect(fake.interactions.interactions.size).toBe(0);

    const wrongKey = new GoogleGenAI({ apiKey: 'AIza-wrong-0000000000', httpOptions: { baseUrl: fake.url } });
    expect(
      await refusal(wrongKey.interactions.create({ model: MODEL, input: 'x' } as unknown as CreateParams, once)),
    ).toMatchObject({ status: 400 });
    // Gemini Omni is not a generateContent model.
    const generate = await refusal(ai.models.generateContent({ model: MODEL, contents: 'x' }));
    expect(generate.message).toMatch(/only supports Interactions API/);
  });
});
