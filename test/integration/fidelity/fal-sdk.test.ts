// Fidelity: fal's official client (@fal-ai/client) drives the project's fal queue fake through
// submit → status → result → download → cancel and every injected failure. The client builds
// https://queue.fal.run/… URLs itself; a request middleware points them at the fake, nothing else
// is changed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, ValidationError, createFalClient, type FalClient } from '@fal-ai/client';
import { FakeFalServer } from '../../fakes/fal/fake-fal-server.js';
import { sampleMp4, samplePng } from '../../fakes/shared/fake-http-server.js';

const KEY = 'fal-fidelity-key-0123456789';
const MODEL = 'fal-ai/minimax/hailuo-02/standard/image-to-video';
const fake = new FakeFalServer(KEY);
let fal: FalClient;
const image = `data:image/png;base64,${samplePng().toString('base64')}`;

const clientFor = (key: string) =>
  createFalClient({
    credentials: key,
    requestMiddleware: async (request) => ({
      ...request,
      url: request.url.replace(/^https:\/\/(queue\.)?fal\.run/, fake.url),
    }),
  });

beforeAll(async () => {
  await fake.start();
  fal = clientFor(KEY);
});
afterAll(() => fake.stop());
afterEach(() => fake.reset());

describe('@fal-ai/client against the fal fake', () => {
  it('submit → status (typed fields) → result → download, for Hailuo-02 ("6") and Veo 3 ("8s")', async () => {
    const { request_id: id } = await fal.queue.submit(MODEL, {
      input: { prompt: 'A kite.', image_url: image, duration: '6' },
    });
    const queued = await fal.queue.status(MODEL, { requestId: id });
    expect(queued).toMatchObject({ status: 'IN_QUEUE', request_id: id, queue_position: 0 });
    expect(queued.status_url).toMatch(/\/requests\/[\w-]+\/status$/);
    expect(queued.cancel_url).toMatch(/\/requests\/[\w-]+\/cancel$/);
    const result = await fal.subscribe(MODEL, {
      input: { prompt: 'A kite.', image_url: image, duration: '10' },
      pollInterval: 10,
    });
    const url = (result.data as { video: { url: string } }).video.url;
    const clip = await fetch(url);
    expect(Buffer.from(await clip.arrayBuffer()).equals(sampleMp4())).toBe(true);
    expect(typeof result.requestId).toBe('string');

    const veo = await fal.subscribe('fal-ai/veo3', {
      input: { prompt: 'A kite.', duration: '8s', aspect_ratio: '9:16' },
      pollInterval: 10,
    });
    expect((veo.data as { video: { url: string } }).video.url).toMatch(/\.mp4/);
  });

  it('the current video endpoints, each with its own fields as EndpointTypeMap types them (the calls type-check)', async () => {
    const run = async <
      E extends
        | 'fal-ai/kling-video/v3/pro/image-to-video'
        | 'fal-ai/kling-video/v2.5-turbo/pro/image-to-video'
        | 'fal-ai/kling-video/v2.6/pro/text-to-video'
        | 'fal-ai/veo3.1/first-last-frame-to-video'
        | 'fal-ai/veo3.1/fast'
        | 'fal-ai/minimax/hailuo-2.3/standard/image-to-video'
        | 'fal-ai/minimax/hailuo-2.3/pro/text-to-video'
        | 'fal-ai/bytedance/seedance/v1.5/pro/image-to-video',
    >(
      endpoint: E,
      input: Parameters<typeof fal.subscribe<E>>[1]['input'],
    ) => {
      const result = await fal.subscribe(endpoint, { input, pollInterval: 10 } as never);
      expect((result.data as { video: { url: string } }).video.url).toMatch(/\.mp4/);
    };
    await run('fal-ai/kling-video/v3/pro/image-to-video', {
      start_image_url: image,
      end_image_url: image,
      prompt: 'A kite.',
      duration: '12',
      generate_audio: false,
    });
    await run('fal-ai/kling-video/v2.5-turbo/pro/image-to-video', {
      image_url: image,
      tail_image_url: image,
      prompt: 'A kite.',
      duration: '10',
    });
    await run('fal-ai/kling-video/v2.6/pro/text-to-video', { prompt: 'A kite.', aspect_ratio: '9:16', duration: '5' });
    await run('fal-ai/veo3.1/first-last-frame-to-video', {
      first_frame_url: image,
      last_frame_url: image,
      prompt: 'A kite.',
      duration: '6s',
      resolution: '720p',
      aspect_ratio: '16:9',
    });
    await run('fal-ai/veo3.1/fast', { prompt: 'A kite.', duration: '4s', aspect_ratio: '9:16', resolution: '1080p' });
    await run('fal-ai/minimax/hailuo-2.3/standard/image-to-video', {
      image_url: image,
      prompt: 'A kite.',
      duration: '10',
    });
    await run('fal-ai/minimax/hailuo-2.3/pro/text-to-video', { prompt: 'A kite.' });
    await run('fal-ai/bytedance/seedance/v1.5/pro/image-to-video', {
      image_url: image,
      end_image_url: image,
      prompt: 'A kite.',
      duration: '12',
      resolution: '720p',
      aspect_ratio: '21:9',
    });
    // Status and result go to each endpoint's app id.
    expect(fake.requests.some((r) => r.path.startsWith('/fal-ai/kling-video/requests/'))).toBe(true);
    expect(fake.requests.some((r) => r.path.startsWith('/fal-ai/bytedance/requests/'))).toBe(true);
  });

  it("refuses with fal's 422 what each endpoint's type does not allow, and answers 404 for an endpoint the client does not know", async () => {
    const fieldError = async (endpoint: string, input: Record<string, unknown>) => {
      const err = await fal.queue.submit(endpoint, { input } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).fieldErrors;
    };
    // Kling 3 names its first frame start_image_url, not image_url; "16" is past its "3" … "15".
    expect(await fieldError('fal-ai/kling-video/v3/pro/image-to-video', { image_url: image, prompt: 'x' })).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ loc: ['body', 'start_image_url'], type: 'missing' }),
        expect.objectContaining({ loc: ['body', 'image_url'], type: 'extra_forbidden' }),
      ]),
    );
    expect(
      (
        await fieldError('fal-ai/kling-video/v3/pro/image-to-video', {
          start_image_url: image,
          prompt: 'x',
          duration: '16',
        })
      )[0],
    ).toMatchObject({ loc: ['body', 'duration'], type: 'literal_error' });
    // Veo 3.1 first-last needs both frames; Hailuo 2.3 Pro has no duration at all.
    expect(
      (await fieldError('fal-ai/veo3.1/first-last-frame-to-video', { first_frame_url: image, prompt: 'x' }))[0],
    ).toMatchObject({ loc: ['body', 'last_frame_url'], type: 'missing' });
    expect(
      (
        await fieldError('fal-ai/minimax/hailuo-2.3/pro/image-to-video', {
          image_url: image,
          prompt: 'x',
          duration: '6',
        })
      )[0],
    ).toMatchObject({ loc: ['body', 'duration'], type: 'extra_forbidden' });
    expect(
      (
        await fieldError('fal-ai/kling-video/v2.5-turbo/pro/image-to-video', { image_url: 'not a url', prompt: 'x' })
      )[0],
    ).toMatchObject({ loc: ['body', 'image_url'], type: 'url_parsing' });
    const missing = await fal.queue
      .submit('fal-ai/no-such-model/v9', { input: { prompt: 'x' } } as never)
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect((missing as ApiError<unknown>).status).toBe(404);
    expect(fake.queued.size).toBe(0);
  });

  it('cancel: queue.cancel on a running request', async () => {
    fake.outcomes.push('stuck');
    const { request_id: id } = await fal.queue.submit(MODEL, { input: { prompt: 'A kite.', image_url: image } });
    await fal.queue.status(MODEL, { requestId: id });
    await fal.queue.cancel(MODEL, { requestId: id });
    expect(fake.canceledIds).toEqual([id]);
  });

  it('refuses what the endpoint types refuse with fal\'s 422: the old "8" for veo3, a number for Hailuo', async () => {
    const bad = await fal.queue
      .submit('fal-ai/veo3', { input: { prompt: 'x', duration: '8' } as never })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).fieldErrors[0]).toMatchObject({ loc: ['body', 'duration'], type: 'literal_error' });
    await expect(
      fal.queue.submit(MODEL, { input: { prompt: 'x', image_url: image, duration: 6 } as never }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(fake.queued.size).toBe(0);
  });

  it('each injected failure: a runner error on the result endpoint, a content-policy 422, a wrong key', async () => {
    fake.outcomes.push('runner-error');
    const crashed = await fal
      .subscribe(MODEL, { input: { prompt: 'A kite.', image_url: image }, pollInterval: 10 })
      .catch((e: unknown) => e);
    expect(crashed).toBeInstanceOf(ApiError);
    expect((crashed as ApiError<{ detail: string; error_type: string }>).status).toBe(500);
    expect((crashed as ApiError<{ detail: string; error_type: string }>).body).toMatchObject({
      error_type: 'runner_server_error',
    });

    fake.outcomes.push('content-policy');
    const refused = await fal
      .subscribe(MODEL, { input: { prompt: 'A kite.', image_url: image }, pollInterval: 10 })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).fieldErrors[0]!.type).toBe('content_policy_violation');

    const wrong = await clientFor('fal-wrong-key-000000')
      .queue.submit(MODEL, { input: { prompt: 'x', image_url: image } })
      .catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(ApiError);
    expect((wrong as ApiError<unknown>).status).toBe(401);
  });
});
