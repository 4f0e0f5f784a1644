// The per-model capability tables at work: the requests issue #16 captured from ttv's generators
// (each accepted by the old fakes, each refused by the real service) are now refused before any
// vendor call, by validate(), by the startup check and by generate() itself; what is sent where a
// model does render the request matches its SDK type.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../../src/config/schema.js';
import { backendConfigIssues } from '../../../src/generators/registry.js';
import { RunwayVideoGenerator } from '../../../src/generators/runway/runway-video-generator.js';
import { FalVideoGenerator } from '../../../src/generators/fal/fal-video-generator.js';
import { Veo3VideoGenerator } from '../../../src/generators/veo3/veo3-video-generator.js';
import { MinimaxVideoGenerator } from '../../../src/generators/minimax/minimax-video-generator.js';
import { GenerationError } from '../../../src/errors/generation-error.js';
import type { VideoGenerator } from '../../../src/generators/types.js';
import { FakeRunwayServer } from '../../fakes/runway/fake-runway-server.js';
import { FakeFalServer } from '../../fakes/fal/fake-fal-server.js';
import { FakeGeminiServer } from '../../fakes/gemini/fake-gemini-server.js';
import { FakeMinimaxServer } from '../../fakes/minimax/fake-minimax-server.js';
import { samplePng } from '../../fakes/shared/fake-http-server.js';
import { FAST_REMOTE } from '../../support/backend-jobs.js';
import { remoteSettings } from '../../../src/generators/remote/remote-settings.js';
import type { AppConfig } from '../../../src/config/schema.js';

const runway = new FakeRunwayServer('rw-key-0123456789');
const fal = new FakeFalServer('fal-key-0123456789');
const gemini = new FakeGeminiServer('AIza-test-key-0123456789');
const minimax = new FakeMinimaxServer('mm-key-0123456789');
const fakes = [runway, fal, gemini, minimax];
let dir = '';
let frame = '';

beforeAll(async () => {
  await Promise.all(fakes.map((f) => f.start()));
  dir = await mkdtemp(join(tmpdir(), 'ttv-caps-'));
  frame = join(dir, 'first.png');
  await writeFile(frame, samplePng());
});
afterAll(async () => {
  await Promise.all(fakes.map((f) => f.stop()));
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => fakes.forEach((f) => f.reset()));

function config(extra: Record<string, unknown>) {
  return configSchema.parse({
    runway_ml: { api_key: 'rw-key-0123456789', base_url: runway.url },
    fal: { api_key: 'fal-key-0123456789', base_url: fal.url },
    google_veo: { api_key: 'AIza-test-key-0123456789', gemini_base_url: gemini.url },
    minimax: { api_key: 'mm-key-0123456789', base_url: `${minimax.url}/v1` },
    remote_api_settings: FAST_REMOTE,
    ...extra,
  });
}

// Each backend takes its own config section and the shared remote settings.
const runwayGenerator = (c: AppConfig) => new RunwayVideoGenerator(c.runway_ml, remoteSettings(c));
const falGenerator = (c: AppConfig) => new FalVideoGenerator(c.fal, remoteSettings(c));
const veoGenerator = (c: AppConfig) => new Veo3VideoGenerator(c.google_veo, remoteSettings(c));
const minimaxGenerator = (c: AppConfig) => new MinimaxVideoGenerator(c.minimax, remoteSettings(c));

const hooks = () => ({ signal: new AbortController().signal });

/** validate() names the problem, generate() refuses with 'invalid', and the vendor saw nothing. */
async function refusedBeforeAnyCall(
  gen: VideoGenerator,
  request: { durationSeconds: number; aspectRatio?: string; firstFrame?: string },
  problem: RegExp,
) {
  const req = { prompt: 'A red kite over a field.', segment: 1, ...request };
  expect(gen.validate(req).join('; ')).toMatch(problem);
  const err = await gen.generate({ ...req, outputPath: join(dir, 'never.mp4') }, hooks()).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GenerationError);
  expect((err as GenerationError).failure).toBe('invalid');
  expect((err as Error).message).toMatch(problem);
  expect(fakes.flatMap((f) => f.requests)).toHaveLength(0);
}

describe('captured requests of issue #16 are refused before any vendor call', () => {
  it('Runway gen4.5 text-to-video at 1104:832 (the SDK allows 1280:720 | 720:1280)', async () => {
    const cfg = config({
      runway_ml: { api_key: 'rw-key-0123456789', base_url: runway.url, model_version: 'gen4.5' },
      video_aspect_ratio: '4:3',
    });
    await refusedBeforeAnyCall(
      runwayGenerator(cfg),
      { durationSeconds: 5, aspectRatio: '4:3' },
      /gen4\.5 text-to-video renders aspect ratios 16:9, 9:16, not 4:3/,
    );
    expect(backendConfigIssues({ ...cfg, default_backend: 'runway' }).errors[0]?.message).toMatch(
      /^runway cannot run: gen4\.5 text-to-video renders/,
    );
    // The same ratio from a first frame is one gen4.5 image-to-video renders.
    expect(
      runwayGenerator(cfg).validate({
        prompt: 'x',
        durationSeconds: 5,
        segment: 1,
        aspectRatio: '4:3',
        firstFrame: frame,
      }),
    ).toEqual([]);
  });

  it('Runway veo3.1 for 5 s (the SDK allows 4 | 6 | 8)', async () => {
    const cfg = config({ runway_ml: { api_key: 'rw-key-0123456789', base_url: runway.url, model_version: 'veo3.1' } });
    await refusedBeforeAnyCall(
      runwayGenerator(cfg),
      { durationSeconds: 5 },
      /veo3\.1 renders 4, 6, 8 s clips, not 5 s \(segment_duration_seconds\)/,
    );
  });

  it('Runway veo3.1 at 960:960 (not one of its ratios)', async () => {
    const cfg = config({ runway_ml: { api_key: 'rw-key-0123456789', base_url: runway.url, model_version: 'veo3.1' } });
    await refusedBeforeAnyCall(
      runwayGenerator(cfg),
      { durationSeconds: 6, aspectRatio: '1:1', firstFrame: frame },
      /veo3\.1 image-to-video renders aspect ratios 16:9, 9:16, not 1:1/,
    );
  });

  it('Runway models the SDK no longer offers are a config error naming the key and how to add a row', () => {
    expect(() =>
      runwayGenerator(config({ runway_ml: { api_key: 'k-0123456789', model_version: 'gen3a_turbo' } })),
    ).toThrow(
      /runway_ml\.model_version "gen3a_turbo" has no row in ttv's model catalog for backend runway \(catalogued: gen4_turbo, .*\); to use it anyway, add its row under models:/,
    );
  });

  it('fal veo3 gets "8s" (its typed literal), and a length it cannot render is refused', async () => {
    const cfg = config({ fal: { api_key: 'fal-key-0123456789', base_url: fal.url, model: 'fal-ai/veo3' } });
    await refusedBeforeAnyCall(
      falGenerator(cfg),
      { durationSeconds: 5 },
      /fal-ai\/veo3 renders 4, 6, 8 s clips, not 5 s/,
    );
    await falGenerator(cfg).generate(
      { prompt: 'A red kite.', durationSeconds: 8, segment: 1, outputPath: join(dir, 'fal.mp4') },
      hooks(),
    );
    const submit = fal.requests.find((r) => r.method === 'POST')!;
    expect(JSON.parse(submit.body.toString()).duration).toBe('8s');
  });

  it('the fal fake answers fal\'s 422 for the old "8" (it validates with the same table)', async () => {
    const res = await fetch(`${fal.url}/fal-ai/veo3`, {
      method: 'POST',
      headers: { authorization: 'Key fal-key-0123456789', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x', duration: '8' }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { detail: { loc: string[]; type: string }[] }).detail[0]).toMatchObject({
      loc: ['body', 'duration'],
      type: 'literal_error',
    });
  });
});

describe('what is sent where the model renders the request', () => {
  it('Gemini Omni on the Gemini API gets the clip format in response_format and no audio field; the Vertex-only setting is refused', async () => {
    const gen = veoGenerator(config({}));
    await gen.generate(
      { prompt: 'A red kite.', durationSeconds: 6, segment: 1, outputPath: join(dir, 'veo.mp4') },
      hooks(),
    );
    const create = gemini.requests.find((r) => r.method === 'POST' && r.path === '/v1beta/interactions')!;
    expect(JSON.parse(create.body.toString())).toEqual({
      model: 'gemini-omni-1.1-flash',
      input: 'A red kite.',
      background: true,
      response_format: { type: 'video', aspect_ratio: '16:9', duration: '6s' },
      generation_config: { video_config: { task: 'text_to_video' } },
    });
    expect(() =>
      veoGenerator(config({ google_veo: { api_key: 'AIza-test-key-0123456789', generate_audio: true } })),
    ).toThrow(/google_veo\.generate_audio is a Vertex AI parameter/);
  });

  it('MiniMax sends duration only to the models it documents it for', async () => {
    const director = minimaxGenerator(config({}));
    expect(director.validate({ prompt: 'x', durationSeconds: 10, segment: 1 }).join()).toMatch(
      /I2V-01-Director renders 6 s clips, not 10 s/,
    );
    await director.generate(
      { prompt: 'A red kite.', durationSeconds: 6, segment: 1, firstFrame: frame, outputPath: join(dir, 'mm1.mp4') },
      hooks(),
    );
    const hailuo = minimaxGenerator(
      config({
        minimax: {
          api_key: 'mm-key-0123456789',
          base_url: `${minimax.url}/v1`,
          model: 'MiniMax-Hailuo-02',
          max_duration: 10,
        },
      }),
    );
    await hailuo.generate(
      { prompt: 'A red kite.', durationSeconds: 10, segment: 1, outputPath: join(dir, 'mm2.mp4') },
      hooks(),
    );
    const bodies = minimax.requests
      .filter((r) => r.method === 'POST')
      .map((r) => JSON.parse(r.body.toString()) as Record<string, unknown>);
    expect(bodies[0]).not.toHaveProperty('duration');
    expect(bodies[1]).toMatchObject({ model: 'MiniMax-Hailuo-02', duration: 10 });
  });
});
