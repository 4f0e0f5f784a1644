// Fidelity: OpenAI's official client (openai) drives the project's OpenAI fake through the calls ttv
// makes (structured chat completion, image generation, multipart image edit) and the failures it
// injects, so the fake cannot drift from what the SDK sends and parses.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { AuthenticationError, BadRequestError, InternalServerError, toFile } from 'openai';
import { FakeOpenAiServer } from '../../fakes/openai/fake-openai-server.js';
import { pngOfSize, pngSize, samplePng } from '../../fakes/shared/fake-http-server.js';

const KEY = 'sk-fidelity-0123456789';
const fake = new FakeOpenAiServer(KEY);
let client: OpenAI;

beforeAll(async () => {
  await fake.start();
  client = new OpenAI({ apiKey: KEY, baseURL: `${fake.url}/v1`, maxRetries: 1 });
});
afterAll(() => fake.stop());
afterEach(() => fake.reset());

describe('openai against the OpenAI fake', () => {
  it('a structured chat completion parses as the plan', async () => {
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Plan a video.' }],
      response_format: { type: 'json_schema', json_schema: { name: 'plan', schema: { type: 'object' }, strict: true } },
    });
    expect(completion.object).toBe('chat.completion');
    const plan = JSON.parse(completion.choices[0]!.message.content!) as { video_prompts: unknown[] };
    expect(plan.video_prompts).toHaveLength(fake.defaultSegments.length);
  });

  it('images.generate and a multipart images.edit answer b64_json PNGs', async () => {
    const generated = await client.images.generate({
      model: 'gpt-image-1',
      prompt: 'A lighthouse.',
      size: '1024x1024',
    });
    expect(Buffer.from(generated.data![0]!.b64_json!, 'base64').subarray(1, 4).toString()).toBe('PNG');
    const edited = await client.images.edit({
      model: 'gpt-image-1',
      prompt: 'Same, at dusk.',
      image: await toFile(samplePng(), 'frame.png', { type: 'image/png' }),
    });
    expect(edited.data![0]!.b64_json).toBeTruthy();
    expect(String(fake.requests.at(-1)!.headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
  });

  it("is as strict as OpenAI per image model (the SDK's type comments): DALL·E answers URLs unless b64_json is asked for", async () => {
    const byUrl = await client.images.generate({ model: 'dall-e-3', prompt: 'A lighthouse.', size: '1024x1792' });
    expect(byUrl.data![0]!.b64_json).toBeUndefined();
    const hosted = Buffer.from(await (await fetch(byUrl.data![0]!.url!)).arrayBuffer());
    expect(pngSize(hosted)).toEqual({ width: 1024, height: 1792 });
    expect(byUrl.data![0]!.revised_prompt).toBe('A lighthouse.');
    const inline = await client.images.generate({
      model: 'dall-e-3',
      prompt: 'A lighthouse.',
      response_format: 'b64_json',
    });
    expect(pngSize(Buffer.from(inline.data![0]!.b64_json!, 'base64'))).toEqual({ width: 1024, height: 1024 });
    // The GPT image models answer b64_json always, at the size asked for.
    const gpt = await client.images.generate({ model: 'gpt-image-1', prompt: 'A lighthouse.', size: '1024x1536' });
    expect(pngSize(Buffer.from(gpt.data![0]!.b64_json!, 'base64'))).toEqual({ width: 1024, height: 1536 });

    const refused = async (call: Promise<unknown>, param: string) => {
      const err = await call.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).param).toBe(param);
    };
    const frame = () => toFile(samplePng(), 'frame.png', { type: 'image/png' });
    await refused(client.images.edit({ model: 'dall-e-3', prompt: 'Same, at dusk.', image: await frame() }), 'model');
    await refused(
      client.images.generate({ model: 'gpt-image-1', prompt: 'x', response_format: 'b64_json' }),
      'response_format',
    );
    await refused(client.images.generate({ model: 'dall-e-3', prompt: 'x', size: '1536x1024' }), 'size');
    await refused(client.images.generate({ model: 'dall-e-3', prompt: 'x', n: 2 }), 'n');
    await refused(client.images.generate({ model: 'gpt-image-2', prompt: 'x', size: '1000x1000' }), 'size');
    // dall-e-2 edits: a square PNG whose transparent areas say what to repaint; an opaque one is refused.
    await refused(
      client.images.edit({
        model: 'dall-e-2',
        prompt: 'x',
        image: await toFile(pngOfSize(64, 64), 'sq.png', { type: 'image/png' }),
      }),
      'image',
    );
    await refused(client.images.edit({ model: 'dall-e-2', prompt: 'x', image: await frame() }), 'image');
  });

  it('each injected failure: a wrong key (not retried), a 500 retried once, then surfaced', async () => {
    const wrong = new OpenAI({ apiKey: 'sk-wrong-000000', baseURL: `${fake.url}/v1`, maxRetries: 1 });
    await expect(wrong.images.generate({ prompt: 'x' })).rejects.toBeInstanceOf(AuthenticationError);
    expect(fake.requests).toHaveLength(1);

    fake.script('/v1/images/generations', {
      status: 500,
      body: { error: { message: 'The server had an error', type: 'server_error' } },
    });
    expect((await client.images.generate({ prompt: 'x' })).data).toHaveLength(1);
    fake.script(
      '/v1/images/generations',
      { status: 500, body: { error: { message: 'The server had an error', type: 'server_error' } } },
      2,
    );
    await expect(client.images.generate({ prompt: 'x' })).rejects.toBeInstanceOf(InternalServerError);
  });
});
