// The OpenAI image provider per model, against the fake (as strict as OpenAI per model): DALL·E is
// asked for b64_json at one of its own sizes, and never for an edit, which it cannot do.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FakeOpenAiServer } from '../../fakes/openai/fake-openai-server.js';
import { pngSize } from '../../fakes/shared/fake-http-server.js';
import { OpenAiImageGenerator } from '../../../src/images/openai/openai-image-generator.js';

const KEY = 'sk-test-openai-key-123456';
const openai = new FakeOpenAiServer(KEY);
const signal = new AbortController().signal;
let dir: string;

beforeAll(async () => {
  await openai.start();
  dir = await mkdtemp(join(tmpdir(), 'ttv-openai-images-'));
});
afterAll(async () => {
  await openai.stop();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => openai.reset());

const provider = (model: string, size?: string) =>
  new OpenAiImageGenerator({
    apiKey: KEY,
    baseUrl: `${openai.url}/v1`,
    model,
    retry: { maxRetries: 0, retryBaseMs: 1 },
    ...(size ? { size } : {}),
  });
const portrait = (name: string, inputImage?: string) => ({
  prompt: 'A tall lighthouse.',
  outputPath: join(dir, name),
  width: 360,
  height: 640,
  ...(inputImage ? { inputImage } : {}),
});

describe('OpenAI images per model', () => {
  it('dall-e-3: response_format b64_json at its portrait size, and the image is written', async () => {
    const out = await provider('dall-e-3').generate(portrait('d3.png'), { signal });
    const body = JSON.parse(openai.requests[0]!.body.toString()) as Record<string, unknown>;
    expect(body).toEqual({
      model: 'dall-e-3',
      prompt: 'A tall lighthouse.',
      n: 1,
      size: '1024x1792',
      response_format: 'b64_json',
    });
    expect(pngSize(await readFile(out))).toEqual({ width: 1024, height: 1792 });
  });

  it('dall-e-2: b64_json at its largest (square) size', async () => {
    await provider('dall-e-2').generate(portrait('d2.png'), { signal });
    expect(JSON.parse(openai.requests[0]!.body.toString())).toMatchObject({
      model: 'dall-e-2',
      size: '1024x1024',
      response_format: 'b64_json',
    });
  });

  it('a DALL·E model is never asked for an edit: refused before any call, naming the fix', async () => {
    const first = await provider('gpt-image-1').generate(portrait('first.png'), { signal });
    openai.reset();
    await expect(provider('dall-e-3').generate(portrait('next.png', first), { signal })).rejects.toThrow(
      /dall-e-3 cannot continue a keyframe from the previous one .*use gpt-image-1, or generation_mode chaining/,
    );
    expect(openai.requests).toHaveLength(0);
  });

  it("gpt-image-2 gets the frame's exact shape; image_size pins a size", async () => {
    await provider('gpt-image-2').generate(portrait('g2.png'), { signal });
    expect(JSON.parse(openai.requests[0]!.body.toString())).toEqual({
      model: 'gpt-image-2',
      prompt: 'A tall lighthouse.',
      n: 1,
      size: '864x1536',
    });
    await provider('gpt-image-1', '1024x1024').generate(portrait('pinned.png'), { signal });
    expect(JSON.parse(openai.requests[1]!.body.toString())).toMatchObject({ size: '1024x1024' });
  });
});
