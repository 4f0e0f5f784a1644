// The image providers label the input frame with its real type (a JPEG first frame is sent as
// image/jpeg), against the protocol fakes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeGeminiServer } from '../../fakes/gemini/fake-gemini-server.js';
import { FakeOpenAiServer } from '../../fakes/openai/fake-openai-server.js';
import { FakeStabilityServer } from '../../fakes/stability/fake-stability-server.js';
import { GeminiImageGenerator } from '../../../src/images/gemini/gemini-image-generator.js';
import { OpenAiImageGenerator } from '../../../src/images/openai/openai-image-generator.js';
import { StabilityImageGenerator } from '../../../src/images/stability/stability-image-generator.js';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';

const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 1000 });

const gemini = new FakeGeminiServer('gemini-test-key-123456');
const openai = new FakeOpenAiServer('sk-test-openai-key-123456');
const stability = new FakeStabilityServer('sk-test-stability-123456');
let dir: string;
let jpeg: string;
const signal = new AbortController().signal;

beforeAll(async () => {
  await Promise.all([gemini.start(), openai.start(), stability.start()]);
  dir = await mkdtemp(join(tmpdir(), 'ttv-frame-type-'));
  jpeg = join(dir, 'first_frame.jpeg');
  // A real JPEG at an SDXL size, so Stability takes it as it is (no resize to PNG first).
  await ffmpeg.run(['-f', 'lavfi', '-i', 'testsrc2=s=1024x1024:d=1', '-frames:v', '1', jpeg]);
});
afterAll(async () => {
  await Promise.all([gemini.stop(), openai.stop(), stability.stop()]);
  await rm(dir, { recursive: true, force: true });
});

const request = (name: string) => ({
  prompt: 'The same, at dusk.',
  inputImage: jpeg,
  outputPath: join(dir, name),
  width: 64,
  height: 64,
});

describe('input frames', () => {
  it('Gemini sends the frame inline as image/jpeg', async () => {
    await new GeminiImageGenerator({
      apiKey: gemini.apiKey,
      baseUrl: `${gemini.url}/`,
      model: 'gemini-2.5-flash-image-preview',
      retry: { maxRetries: 0, retryBaseMs: 1 },
    }).generate(request('g.png'), { signal });
    const body = JSON.parse(gemini.requests[0]!.body.toString()) as {
      contents: { parts: { inlineData?: { mimeType: string } }[] }[];
    };
    expect(body.contents[0]!.parts[0]!.inlineData!.mimeType).toBe('image/jpeg');
  });

  it('OpenAI edits upload the frame as image/jpeg with a .jpg name', async () => {
    await new OpenAiImageGenerator({
      apiKey: 'sk-test-openai-key-123456',
      baseUrl: `${openai.url}/v1/`,
      model: 'gpt-image-1',
      size: '1024x1024',
      retry: { maxRetries: 0, retryBaseMs: 1 },
    }).generate(request('o.png'), { signal });
    const edit = openai.requests.find((r) => r.path === '/v1/images/edits')!.body.toString('latin1');
    expect(edit).toMatch(/name="image"; filename="first_frame\.jpg"\r\nContent-Type: image\/jpeg/);
  });

  it('Stability uploads init_image as image/jpeg', async () => {
    await new StabilityImageGenerator({
      apiKey: 'sk-test-stability-123456',
      baseUrl: stability.url,
      engine: 'stable-diffusion-xl-1024-v1-0',
      ffmpeg,
      retry: { maxRetries: 0, retryBaseMs: 1 },
    }).generate(request('s.png'), { signal });
    const form = stability.requests[0]!.body.toString('latin1');
    expect(form).toMatch(/name="init_image"; filename="init_image\.jpg"\r\nContent-Type: image\/jpeg/);
  });
});
