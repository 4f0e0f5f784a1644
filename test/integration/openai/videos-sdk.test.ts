// The OpenAI-compatible Videos API driven by the official `openai` package, unchanged, against a
// running ttv on the offline procedural backend: create (with and without an input_reference file),
// retrieve until completed, list, download the MP4 and its thumbnail, delete; refusals surface as the
// SDK's own error classes with `param` set.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { AuthenticationError, BadRequestError, NotFoundError, toFile } from 'openai';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { completedVideo } from '../../support/openai-videos.js';
import { createKey } from '../../support/api-keys.js';

const run = promisify(execFile);
const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 2000 });
const TOKEN = 'videos-test-token-0123456789';

let svc: TestService;
let dir: string;
let client: OpenAI;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-videos-'));
  svc = await startTestService({
    security: { auth_token: TOKEN },
    // `backend` too: `model: ttv-runway` picks a backend other than the default, which only a key
    // allowed `backend` may do (videos-model-policy.test.ts covers the refusal).
    server: { job_options: ['duration_seconds', 'aspect_ratio', 'image', 'backend'] },
    openai_compat: { models: { 'ttv-preview': 'procedural', 'ttv-runway': 'runway' } },
    // Configured, never called: a backend with real duration and ratio limits to be refused by.
    runway_ml: { api_key: 'test-runway-key-0123456789' },
  });
  client = new OpenAI({ apiKey: TOKEN, baseURL: `${svc.url}/v1`, maxRetries: 0 });
});
afterAll(async () => {
  await svc?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The video, once completed without error. */
const completed = (id: string) => completedVideo(client, id);

async function saveContent(id: string, variant: 'video' | 'thumbnail' | 'spritesheet', name: string): Promise<string> {
  const response = await client.videos.downloadContent(id, { variant });
  const path = join(dir, name);
  await writeFile(path, Buffer.from(await response.arrayBuffer()));
  return path;
}

describe('OpenAI Videos API with the official SDK', () => {
  it('creates, polls to completed, lists, downloads the video and thumbnail, and deletes', async () => {
    const video = await client.videos.create({
      model: 'ttv-preview',
      prompt: 'A lighthouse at dusk. Waves roll in.',
      seconds: '4',
      size: '720x1280',
    });
    expect(video).toMatchObject({
      object: 'video',
      status: 'queued',
      model: 'ttv-preview',
      seconds: '4',
      size: '720x1280',
      error: null,
    });
    expect(typeof video.created_at).toBe('number');
    // The same job underneath: /v1/jobs shows it with the options the video parameters became.
    const job = (await (
      await fetch(`${svc.url}/v1/jobs/${video.id}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { options: unknown };
    // procedural takes a resolution, so the asked size is rendered as it is.
    expect(job.options).toEqual({
      backend: 'procedural',
      duration_seconds: 4,
      aspect_ratio: '9:16',
      resolution: '720x1280',
    });

    const done = await completed(video.id);
    expect(done.completed_at).toBeGreaterThanOrEqual(done.created_at);
    expect(done.progress).toBe(100);

    const mp4 = await saveContent(video.id, 'video', 'video.mp4');
    const probe = await ffmpeg.probe(mp4);
    expect(probe.video?.codec).toBe('h264');
    expect(Math.abs(probe.durationSeconds - 4)).toBeLessThanOrEqual(0.5);
    expect(probe.video!.width / probe.video!.height).toBeCloseTo(9 / 16, 1);

    const thumb = await saveContent(video.id, 'thumbnail', 'thumb.jpg');
    const jpeg = await readFile(thumb);
    expect([...jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    const thumbProbe = await ffmpeg.probe(thumb);
    expect(thumbProbe.video).toMatchObject({ codec: 'mjpeg', width: probe.video!.width, height: probe.video!.height });

    // The sprite sheet: 4x4 tiles of 160 px wide frames.
    const sheet = await ffmpeg.probe(await saveContent(video.id, 'spritesheet', 'sheet.jpg'));
    expect(sheet.video).toMatchObject({ codec: 'mjpeg', width: 640 });

    // Range requests on the content route.
    const ranged = await fetch(`${svc.url}/v1/videos/${video.id}/content`, {
      headers: { authorization: `Bearer ${TOKEN}`, range: 'bytes=0-99' },
    });
    expect(ranged.status).toBe(206);
    expect((await ranged.arrayBuffer()).byteLength).toBe(100);

    // A second video, created as JSON (curl's way), for the list.
    const json = await fetch(`${svc.url}/v1/videos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'ttv-preview', prompt: 'Snow on a quiet street.', seconds: '1' }),
    });
    expect(json.status).toBe(200);
    const second = (await json.json()) as OpenAI.Videos.Video;
    const newest = await client.videos.list({ limit: 1 });
    expect(newest.data.map((v) => v.id)).toEqual([second.id]);
    expect(newest.has_more).toBe(true);
    const next = await newest.getNextPage();
    expect(next.data.map((v) => v.id)).toEqual([video.id]);
    const all: string[] = [];
    for await (const v of client.videos.list({ order: 'asc', limit: 1 })) all.push(v.id);
    expect(all).toEqual([video.id, second.id]);

    const deleted = await client.videos.delete(second.id);
    expect(deleted).toEqual({ id: second.id, object: 'video.deleted', deleted: true });
    await expect(client.videos.retrieve(second.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(
      (await fetch(`${svc.url}/v1/jobs/${second.id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(404);
  });

  it('creates from an input_reference image, which becomes the first frame', async () => {
    const png = join(dir, 'red.png');
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=0xff0000:s=64x36', '-frames:v', '1', png]);
    const bytes = await readFile(png);
    const video = await client.videos.create({
      model: 'ttv-preview',
      prompt: 'A red sunrise.',
      seconds: '4',
      size: '1280x720',
      input_reference: await toFile(bytes, 'red.png', { type: 'image/png' }),
    });
    const job = (await (
      await fetch(`${svc.url}/v1/jobs/${video.id}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { options: { image: { sha256: string } } };
    expect(job.options.image.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    await completed(video.id);
    const mp4 = await saveContent(video.id, 'video', 'from-image.mp4');
    // The first frame is the uploaded image: average colour red.
    const { stdout } = await run(
      'ffmpeg',
      ['-v', 'error', '-i', mp4, '-frames:v', '1', '-vf', 'scale=1:1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
      { encoding: 'buffer' },
    );
    const [r, g, b] = [...(stdout as Buffer)];
    expect(r).toBeGreaterThan(200);
    expect(g).toBeLessThan(60);
    expect(b).toBeLessThan(60);
  });

  it('refuses seconds and sizes the mapped backend cannot render as BadRequestError with param', async () => {
    const seconds = await client.videos
      .create({ model: 'ttv-runway', prompt: 'A lake.', seconds: '12' })
      .catch((e: unknown) => e);
    expect(seconds).toBeInstanceOf(BadRequestError);
    expect((seconds as BadRequestError).param).toBe('seconds');
    expect((seconds as BadRequestError).message).toContain('allowed: 2, 3, 4, 5, 6, 7, 8, 9, 10');
    const size = await client.videos
      .create({ model: 'ttv-runway', prompt: 'A lake.', size: '1792x1024' })
      .catch((e: unknown) => e);
    expect(size).toBeInstanceOf(BadRequestError);
    expect((size as BadRequestError).param).toBe('size');
    const model = await client.videos
      .create({ model: 'not-a-model' as 'sora-2', prompt: 'A lake.' })
      .catch((e: unknown) => e);
    expect(model).toBeInstanceOf(BadRequestError);
    expect((model as BadRequestError).param).toBe('model');
    const fileId = await client.videos
      .create({ model: 'ttv-preview', prompt: 'A lake.', input_reference: { file_id: 'file-abc' } })
      .catch((e: unknown) => e);
    expect(fileId).toBeInstanceOf(BadRequestError);
    expect((fileId as BadRequestError).param).toBe('input_reference');
    expect((fileId as BadRequestError).message).toContain('file_id references are not supported');
    // A first frame of another shape than `size` is refused rather than cropped silently.
    const square = join(dir, 'square.png');
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=0x00ff00:s=64x64', '-frames:v', '1', square]);
    const misfit = await client.videos
      .create({
        model: 'ttv-preview',
        prompt: 'A lake.',
        size: '1280x720',
        input_reference: await toFile(await readFile(square), 'square.png', { type: 'image/png' }),
      })
      .catch((e: unknown) => e);
    expect(misfit).toBeInstanceOf(BadRequestError);
    expect((misfit as BadRequestError).param).toBe('input_reference');
    expect((misfit as BadRequestError).message).toContain('is 64x64, which is not the shape of size 1280x720');
    const url = await client.videos
      .create({
        model: 'ttv-preview',
        prompt: 'A lake.',
        input_reference: { image_url: 'https://example.com/frame.png' },
      })
      .catch((e: unknown) => e);
    expect(url).toBeInstanceOf(BadRequestError);
    expect((url as BadRequestError).param).toBe('input_reference');
    expect((url as BadRequestError).message).toContain('server.fetch_image_urls');
    // Errors on these routes use OpenAI's envelope only, 405 included.
    const put = await fetch(`${svc.url}/v1/videos`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('POST, GET, HEAD');
    expect(await put.json()).toEqual({
      error: {
        message: 'Method PUT not allowed on this path',
        type: 'invalid_request_error',
        param: null,
        code: 'method_not_allowed',
      },
    });
    // An unknown path under /v1/videos is a 404 in the same envelope (the SDK's NotFoundError).
    const unknown = await fetch(`${svc.url}/v1/videos/${'a'.repeat(32)}/nothing-here`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string; type: string } }).error).toMatchObject({
      code: 'not_found',
      type: 'invalid_request_error',
    });
    // Too large and wrong-type bodies too.
    const tooLarge = await fetch(`${svc.url}/v1/videos/extensions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'x'.repeat(20 * 1024 * 1024) }),
    });
    expect(tooLarge.status).toBe(413);
    expect(((await tooLarge.json()) as { error: { code: string } }).error.code).toBe('payload_too_large');
    const wrongType = await fetch(`${svc.url}/v1/videos/${'a'.repeat(32)}/remix`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/plain' },
      body: 'remix it',
    });
    expect(wrongType.status).toBe(415);
    expect(((await wrongType.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
    const anonymous = new OpenAI({ apiKey: 'not-the-token', baseURL: `${svc.url}/v1`, maxRetries: 0 });
    await expect(anonymous.videos.list()).rejects.toBeInstanceOf(AuthenticationError);
  });

  it('keeps each key to its own videos, as /v1/jobs does', async () => {
    const store = ['--data-dir', svc.dataDir];
    const alice = new OpenAI({
      apiKey: (await createKey(store, 'alice')).secret,
      baseURL: `${svc.url}/v1`,
      maxRetries: 0,
    });
    const bob = new OpenAI({ apiKey: (await createKey(store, 'bob')).secret, baseURL: `${svc.url}/v1`, maxRetries: 0 });
    const video = await alice.videos.create({ model: 'ttv-preview', prompt: 'Alice only.', seconds: '4' });
    await expect(bob.videos.retrieve(video.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(bob.videos.delete(video.id)).rejects.toBeInstanceOf(NotFoundError);
    expect((await bob.videos.list()).data.map((v) => v.id)).not.toContain(video.id);
    expect((await alice.videos.list()).data.map((v) => v.id)).toEqual([video.id]);
    // The admin token sees every key's videos.
    expect((await client.videos.retrieve(video.id)).id).toBe(video.id);
  });
});
