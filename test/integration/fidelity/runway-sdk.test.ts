// Fidelity: Runway's official client (@runwayml/sdk) drives the project's Runway fake through
// create → poll → download → cancel and every injected failure, so the fake cannot drift from
// what the vendor's own client sends and expects (paths, headers, bodies, typed fields, errors).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import RunwayML, { AuthenticationError, BadRequestError, NotFoundError } from '@runwayml/sdk';
import { FakeRunwayServer } from '../../fakes/runway/fake-runway-server.js';
import { sampleMp4Of, samplePng } from '../../fakes/shared/fake-http-server.js';
import { runwaySdkVideoModels } from '../../fakes/runway/runway-sdk-params.js';
import { RUNWAY_MODEL_RULES } from '../../fakes/runway/runway-model-rules.js';

const KEY = 'rw-fidelity-key-0123456789';
const fake = new FakeRunwayServer(KEY);
let client: RunwayML;
const image = `data:image/png;base64,${samplePng().toString('base64')}`;

beforeAll(async () => {
  await fake.start();
  client = new RunwayML({ apiKey: KEY, baseURL: fake.url, maxRetries: 2 });
});
afterAll(() => fake.stop());
afterEach(() => fake.reset());

/** Polls with the SDK's tasks.retrieve (its waitForTaskOutput sleeps 6 s between polls). */
async function untilTerminal(id: string) {
  for (let i = 0; i < 20; i += 1) {
    const task = await client.tasks.retrieve(id);
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(task.status)) return task;
  }
  throw new Error(`task ${id} never ended`);
}

describe('@runwayml/sdk against the Runway fake', () => {
  it('create (image and text) → poll → download, with the fields the SDK types as present', async () => {
    const created = await client.imageToVideo.create({
      model: 'gen4_turbo',
      promptImage: image,
      promptText: 'A kite.',
      ratio: '1280:720',
      duration: 5,
    });
    expect(typeof created.id).toBe('string');
    expect(created.estimatedCost.credits).toBeGreaterThan(0);
    expect(fake.requests[0]!.headers['x-runway-version']).toBe('2024-11-06');
    const pending = await client.tasks.retrieve(created.id);
    expect(pending.status).toBe('PENDING');
    expect('estimatedCost' in pending && pending.estimatedCost.credits).toBe(created.estimatedCost.credits);
    const done = await untilTerminal(created.id);
    expect(done.status).toBe('SUCCEEDED');
    if (done.status !== 'SUCCEEDED') return;
    expect(done.cost.credits).toBe(created.estimatedCost.credits);
    const clip = await fetch(done.output[0]!);
    expect(clip.headers.get('content-type')).toBe('video/mp4');
    // The clip has the pixel size of the ratio asked for.
    expect(Buffer.from(await clip.arrayBuffer()).equals(sampleMp4Of(1280, 720))).toBe(true);

    const text = await client.textToVideo.create({
      model: 'veo3.1',
      promptText: 'A kite.',
      ratio: '720:1280',
      duration: 8,
    });
    // Every ratio of the SDK's union is accepted, including the 1080p ones ttv does not pick.
    await client.textToVideo.create({ model: 'veo3.1_fast', promptText: 'A kite.', ratio: '1920:1080', duration: 4 });
    expect((await untilTerminal(text.id)).status).toBe('SUCCEEDED');
    // First and last frame, as Veo 3.1 on Runway allows.
    await client.imageToVideo.create({
      model: 'veo3.1',
      promptImage: [
        { uri: image, position: 'first' },
        { uri: image, position: 'last' },
      ],
      ratio: '1280:720',
      duration: 4,
    });
  });

  it('cancel: tasks.delete, after which the task is gone', async () => {
    fake.outcomes.push('stuck');
    const created = await client.imageToVideo.create({
      model: 'gen4_turbo',
      promptImage: image,
      ratio: '960:960',
      duration: 3,
    });
    await client.tasks.retrieve(created.id);
    await client.tasks.delete(created.id);
    expect(fake.deletedTaskIds).toEqual([created.id]);
    await expect(client.tasks.retrieve(created.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("the requests issue #16 captured are refused with Runway's 400, as the SDK's types already say", async () => {
    // Casts: these bodies do not type-check against the SDK's unions, which is the point.
    await expect(
      client.textToVideo.create({ model: 'gen4.5', promptText: 'x', ratio: '1104:832', duration: 5 } as never),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(
      client.textToVideo.create({ model: 'veo3.1', promptText: 'x', ratio: '1280:720', duration: 5 } as never),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(
      client.imageToVideo.create({ model: 'veo3.1', promptImage: image, ratio: '960:960' } as never),
    ).rejects.toBeInstanceOf(BadRequestError);
    await expect(
      client.imageToVideo.create({
        model: 'gen4_turbo',
        promptImage: [{ uri: image, position: 'last' }],
        ratio: '1280:720',
      } as never),
    ).rejects.toBeInstanceOf(BadRequestError);
    expect(fake.tasks.size).toBe(0);
  });

  it('the newer models, each with its own fields as the SDK types them (the calls type-check against the SDK)', async () => {
    const first = { uri: image, position: 'first' as const };
    const last = { uri: image, position: 'last' as const };
    const created = [
      await client.textToVideo.create({
        model: 'seedance2',
        promptText: 'A kite.',
        ratio: '1280:720',
        duration: 5,
        audio: false,
      }),
      await client.imageToVideo.create({
        model: 'seedance2_fast',
        promptImage: [first, last],
        promptText: 'A kite.',
        ratio: '720:1280',
        duration: 'auto',
      }),
      await client.textToVideo.create({
        model: 'hailuo3',
        promptText: 'A kite.',
        ratio: '16:9',
        resolution: '768p',
        duration: 6,
      }),
      await client.imageToVideo.create({
        model: 'hailuo3',
        promptImage: [first, last],
        promptText: 'A kite.',
        ratio: 'adaptive',
        duration: 6,
      }),
      await client.imageToVideo.create({
        model: 'wan3',
        promptImage: [first],
        promptText: 'A kite.',
        ratio: 'auto_720p',
        duration: 5,
      }),
      await client.textToVideo.create({
        model: 'wan3_prime',
        promptText: 'A kite.',
        ratio: '720:1280',
        duration: 12,
        audio: true,
      }),
      await client.textToVideo.create({ model: 'h3_max', promptText: 'A kite.', resolution: '768p', duration: 6 }),
      await client.imageToVideo.create({
        model: 'grok_imagine_1_5',
        promptImage: image,
        resolution: '720p',
        duration: 5,
      }),
      await client.imageToVideo.create({
        model: 'gemini_omni_flash_1.1',
        promptImage: [first, last],
        promptText: 'A kite.',
        ratio: '1280:720',
        duration: 'auto',
      }),
      await client.imageToVideo.create({
        model: 'happyhorse_1_0',
        promptImage: image,
        resolution: '720p',
        duration: 5,
      }),
      await client.textToVideo.create({
        model: 'gemini_omni_flash',
        promptText: 'A kite.',
        ratio: '720:1280',
        duration: 3,
      }),
    ];
    for (const task of created) expect((await untilTerminal(task.id)).status).toBe('SUCCEEDED');
    // seedance2 at 36 credits/s for 5 s; `auto` is billed at the variant maximum (15 s at 29 cr/s).
    expect(created[0]!.estimatedCost.credits).toBe(180);
    expect(created[1]!.estimatedCost.credits).toBe(435);
  });

  it("refuses with Runway's 400 what the newer models' types or documented rules do not allow", async () => {
    const first = { uri: image, position: 'first' as const };
    const refused = async (call: Promise<unknown>, issue: RegExp) => {
      const err = await call.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BadRequestError);
      expect(JSON.stringify((err as BadRequestError).error)).toMatch(issue);
    };
    // Casts: the SDK's types already refuse most of these bodies, which is the point.
    await refused(
      client.textToVideo.create({ model: 'hailuo3', promptText: 'x', ratio: 'adaptive' }),
      /text-only requests require a concrete ratio/,
    );
    await refused(
      client.imageToVideo.create({ model: 'wan3', promptImage: [first], promptText: 'x', ratio: '1280:720' }),
      /keyframe image-to-video requests must use auto_480p/,
    );
    await refused(
      client.imageToVideo.create({ model: 'h3_max', promptImage: image, promptText: 'x' }),
      /at least 256 pixels on both sides \(got 320x180\)/,
    );
    await refused(
      client.imageToVideo.create({ model: 'h3_max', promptImage: [{ uri: image, position: 'last' }], promptText: 'x' }),
      /a last frame requires a first frame/,
    );
    await refused(
      client.textToVideo.create({ model: 'seedance2', promptText: 'x', duration: 20 }),
      /duration: an integer from 4 to 15, received 20/,
    );
    await refused(
      client.imageToVideo.create({ model: 'seedance2', promptImage: [first, { uri: image }] }),
      /cannot be mixed/,
    );
    await refused(
      client.imageToVideo.create({
        model: 'gemini_omni_flash',
        promptImage: [{ uri: image, position: 'last' }],
      } as never),
      /position/,
    );
    await refused(
      client.imageToVideo.create({ model: 'grok_imagine_1_5', promptImage: image, ratio: '16:9' } as never),
      /Unrecognized key: 'ratio'/,
    );
    await refused(
      client.imageToVideo.create({ model: 'happyhorse_1_0', promptImage: image, resolution: '4k' } as never),
      /resolution: Invalid enum value/,
    );
    await refused(
      client.textToVideo.create({ model: 'h3_max', promptText: 'x', ratio: '16:9' } as never),
      /Unrecognized key: 'ratio'/,
    );
    await refused(
      client.textToVideo.create({ model: 'gen4_turbo', promptText: 'x', ratio: '1280:720' } as never),
      /gen4_turbo is not available for text_to_video/,
    );
    await refused(
      client.textToVideo.create({ model: 'veo3.1', promptText: 'x', ratio: '1280:720', promptImage: image } as never),
      /Unrecognized key: 'promptImage'/,
    );
    expect(fake.tasks.size).toBe(0);
  });

  it("has a documented rule for every video model of the installed SDK's create unions", () => {
    const models = runwaySdkVideoModels();
    expect(models.length).toBeGreaterThanOrEqual(16);
    expect(models.filter((m) => !RUNWAY_MODEL_RULES[m])).toEqual([]);
  });

  it('each injected failure: FAILED with failure and failureCode, a rejected output, safety, vendor cancel, 401, 429 and 5xx retried by the SDK', async () => {
    fake.outcomes.push('fail', 'safety', 'vendor-cancel', 'bad-output');
    const results = [];
    for (let i = 0; i < 4; i += 1) {
      const created = await client.imageToVideo.create({
        model: 'gen4_turbo',
        promptImage: image,
        ratio: '1280:720',
        duration: 5,
      });
      results.push(await untilTerminal(created.id));
    }
    expect(results.map((t) => t.status)).toEqual(['FAILED', 'FAILED', 'CANCELLED', 'FAILED']);
    expect(results[3]).toMatchObject({
      failureCode: 'INTERNAL.BAD_OUTPUT.CODE01',
      failure: expect.any(String),
      cost: { credits: 0 },
    });
    expect(results[0]).toMatchObject({ failureCode: 'INTERNAL', cost: { credits: 0 } });
    expect(results[1]).toMatchObject({ failureCode: 'SAFETY.INPUT.TEXT' });

    const wrong = new RunwayML({ apiKey: 'rw-wrong-key-000000000', baseURL: fake.url, maxRetries: 0 });
    await expect(wrong.tasks.retrieve('x')).rejects.toBeInstanceOf(AuthenticationError);

    fake.script('/v1/image_to_video', {
      status: 429,
      body: { error: 'Too many requests' },
      headers: { 'retry-after': '0' },
    });
    fake.script('/v1/tasks/', { status: 502, body: { error: 'Bad gateway' } });
    const created = await client.imageToVideo.create({
      model: 'gen4_turbo',
      promptImage: image,
      ratio: '1280:720',
      duration: 5,
    });
    expect((await client.tasks.retrieve(created.id)).id).toBe(created.id);
    // Four tasks above, then the 429 and its retry.
    expect(fake.requests.filter((r) => r.path === '/v1/image_to_video')).toHaveLength(6);
  });
});
