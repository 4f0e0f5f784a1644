// On /v1/videos `model` picks a backend, so it counts as the `backend` option: a key allowed no
// options may use the models of the default backend and is refused (400 BadRequestError, param
// `model`) a model mapped to another (paid) backend before anything is queued; a key allowed
// `backend` may use every mapped model. Driven with the official `openai` SDK.
import OpenAI, { BadRequestError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRunwayServer } from '../../fakes/runway/fake-runway-server.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { createKey } from '../../support/api-keys.js';
import { FAST_REMOTE } from '../../support/backend-jobs.js';
import { waitForProgress } from '../../support/wait-for.js';

const TOKEN = 'model-policy-admin-token-0123456789';
const RUNWAY_KEY = 'rw-model-policy-key-0123456789';
const runway = new FakeRunwayServer(RUNWAY_KEY);
let svc: TestService;
let plain: OpenAI;
let chooser: OpenAI;
let chooserSecret: string;
let plainSecret: string;

const client = (secret: string) => new OpenAI({ apiKey: secret, baseURL: `${svc.url}/v1`, maxRetries: 0 });
const creates = () => runway.requests.filter((r) => r.method === 'POST').length;

/** The video once it has ended, polled through the SDK; the wait is bounded by progress, not time. */
async function ended(sdk: OpenAI, id: string): Promise<OpenAI.Videos.Video> {
  let video: OpenAI.Videos.Video | null = null;
  await waitForProgress(
    async () => {
      video = await sdk.videos.retrieve(id);
      return { done: video.status === 'completed' || video.status === 'failed', progress: video.progress };
    },
    { what: `video ${id}` },
  );
  return video!;
}

beforeAll(async () => {
  await runway.start();
  svc = await startTestService({
    security: { auth_token: TOKEN },
    // Nobody may send options, except the key named "chooser", which may choose a backend.
    server: { job_options: [], job_options_by_key: { chooser: ['backend'] } },
    openai_compat: { models: { 'ttv-preview': 'procedural', 'ttv-runway': 'runway' } },
    runway_ml: { api_key: RUNWAY_KEY, base_url: runway.url },
    remote_api_settings: FAST_REMOTE,
    segment_duration_seconds: 5, // a clip length Runway renders
  });
  plainSecret = (await createKey(['--data-dir', svc.dataDir], 'plain')).secret;
  plain = client(plainSecret);
  chooserSecret = (await createKey(['--data-dir', svc.dataDir], 'chooser')).secret;
  chooser = client(chooserSecret);
});
afterAll(async () => {
  await svc?.close();
  await runway.stop();
});

describe('model on /v1/videos counts as the backend option', () => {
  it('refuses a key allowed no options a model of a paid backend: 400, param model, nothing queued or paid', async () => {
    const before = (await plain.videos.list()).data.length;
    const refused = await plain.videos
      .create({ model: 'ttv-runway' as OpenAI.Videos.VideoModel, prompt: 'A lake at noon.' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BadRequestError);
    const error = refused as BadRequestError;
    expect(error.status).toBe(400);
    expect(error.param).toBe('model');
    expect(error.code).toBe('validation_error');
    expect(error.message).toContain('renders on runway');
    expect(error.message).toContain('models it may use: ttv-preview');
    expect((await plain.videos.list()).data.length).toBe(before);
    expect(creates()).toBe(0);
  });

  it('accepts a model of the default backend from the same key, and it renders there', async () => {
    const video = await plain.videos.create({
      model: 'ttv-preview' as OpenAI.Videos.VideoModel,
      prompt: 'A lighthouse at dusk.',
    });
    expect(video).toMatchObject({ object: 'video', model: 'ttv-preview' });
    expect((await ended(plain, video.id)).status).toBe('completed');
    expect(creates()).toBe(0);
  });

  it('lists in /v1/capabilities only the models each key may send', async () => {
    const capabilities = async (secret: string) =>
      (
        (await (
          await fetch(`${svc.url}/v1/capabilities`, { headers: { authorization: `Bearer ${secret}` } })
        ).json()) as { openai_models: Record<string, string> }
      ).openai_models;
    // sora-2 and sora-2-pro are built-in names of the default backend (procedural here): every key may send them.
    const defaults = { 'ttv-preview': 'procedural', 'sora-2': 'procedural', 'sora-2-pro': 'procedural' };
    expect(await capabilities(plainSecret)).toEqual(defaults);
    expect(await capabilities(TOKEN)).toEqual(defaults);
    expect(await capabilities(chooserSecret)).toEqual({ ...defaults, 'ttv-runway': 'runway' });
  });

  it('accepts every mapped model from a key allowed the backend option', async () => {
    const video = await chooser.videos.create({
      model: 'ttv-runway' as OpenAI.Videos.VideoModel,
      prompt: 'A lake at noon.',
    });
    expect(video).toMatchObject({ object: 'video', model: 'ttv-runway', status: 'queued' });
    const done = await ended(chooser, video.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('completed');
    expect(creates()).toBe(1);
  });
});
