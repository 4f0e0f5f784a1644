// The Videos API as code migrating from Sora uses it, through the official `openai` SDK unmodified,
// against a real ttv on loopback (embedded worker, offline procedural backend, no auth): create →
// poll → download → the object's `seconds`/`size` are the file's; `extend` stitches source + new part
// and continues from the source's last frame; `remix` starts from the source's first frame; `edit`
// and the character calls raise BadRequestError with a reason; the names in GET /v1/models.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { BadRequestError, toFile } from 'openai';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { completedVideo, type TtvVideo } from '../../support/openai-videos.js';
import { decodedFrame, psnr } from '../../support/frames.js';

const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 2000 });

/** Raw RGB bytes of the frame shown at `seconds`. */
function frameAt(file: string, seconds: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-ss',
      seconds.toFixed(3),
      '-i',
      file,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ]);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`ffmpeg exited with ${code}`)),
    );
  });
}

describe('Videos API: create, extend, remix with the official SDK on an open server', () => {
  let svc: TestService;
  let dir: string;
  let client: OpenAI;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ttv-videos-extend-'));
    svc = await startTestService({ server: { job_options: ['duration_seconds', 'aspect_ratio'] } });
    // Auth is off: any key is taken (the SDK needs one to send).
    client = new OpenAI({ apiKey: 'anything-at-all', baseURL: `${svc.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await svc?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function download(id: string, name: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, Buffer.from(await (await client.videos.downloadContent(id)).arrayBuffer()));
    return path;
  }

  it("create → poll → download: seconds and size are the file's; extend and remix continue it", async () => {
    const created = await client.videos.create({
      model: 'ttv-preview',
      prompt: 'A lighthouse at dusk. Waves roll in.',
      seconds: '3' as OpenAI.Videos.VideoSeconds,
      size: '320x180' as OpenAI.Videos.VideoSize,
    });
    expect(created).toMatchObject({
      status: 'queued',
      model: 'ttv-preview',
      seconds: '3',
      size: '320x180',
      remixed_from_video_id: null,
    });
    const source = await completedVideo(client, created.id);
    const sourceFile = await download(source.id, 'source.mp4');
    const probe = await ffmpeg.probe(sourceFile);
    expect(Math.abs(probe.durationSeconds - Number(source.seconds))).toBeLessThanOrEqual(0.5);
    expect(source.size).toBe(`${probe.video!.width}x${probe.video!.height}`);
    expect(source.size).toBe('320x180');
    // Retention deletes the file artifacts_days (30 by default) after it finished.
    expect(source.expires_at).toBe(source.completed_at! + 30 * 86_400);

    const extension = (await client.videos.extend({
      video: { id: source.id },
      prompt: 'The lighthouse beam sweeps over the sea.',
      seconds: '4',
    })) as TtvVideo;
    expect(extension.extended_from_video_id).toBe(source.id);
    expect(extension.remixed_from_video_id).toBeNull();
    const extended = await completedVideo(client, extension.id);
    expect(extended.extended_from_video_id).toBe(source.id);
    const extendedFile = await download(extended.id, 'extended.mp4');
    const extendedProbe = await ffmpeg.probe(extendedFile);
    expect(Math.abs(extendedProbe.durationSeconds - (probe.durationSeconds + 4))).toBeLessThanOrEqual(0.5);
    expect(Math.abs(extendedProbe.durationSeconds - Number(extended.seconds))).toBeLessThanOrEqual(0.5);
    expect(extended.size).toBe('320x180');
    // Its first part is the source…
    // (procedural frames a second apart are alike, ~31 dB: the same frame decodes identically or nearly)
    expect(psnr(await frameAt(extendedFile, 0.5), await frameAt(sourceFile, 0.5))).toBeGreaterThan(45);
    // …and the new part starts on the source's last frame.
    const sourceLast = await decodedFrame(sourceFile, 'last');
    const joinFrame = await frameAt(extendedFile, probe.durationSeconds + 0.01);
    const sourceFirst = await decodedFrame(sourceFile, 'first');
    expect(psnr(joinFrame, sourceLast)).toBeGreaterThan(25);
    expect(psnr(joinFrame, sourceLast)).toBeGreaterThan(psnr(joinFrame, sourceFirst) + 3);

    const remix = await client.videos.remix(source.id, { prompt: 'The same lighthouse in a snowstorm.' });
    expect(remix.remixed_from_video_id).toBe(source.id);
    const remixed = await completedVideo(client, remix.id);
    expect(remixed).toMatchObject({
      remixed_from_video_id: source.id,
      size: '320x180',
      seconds: source.seconds,
      prompt: 'The same lighthouse in a snowstorm.',
    });
    const remixFile = await download(remixed.id, 'remix.mp4');
    const remixFirst = await decodedFrame(remixFile, 'first');
    expect(psnr(remixFirst, sourceFirst)).toBeGreaterThan(25);
    expect(psnr(remixFirst, sourceFirst)).toBeGreaterThan(psnr(remixFirst, sourceLast) + 3);
  });

  it('renders the asked size on procedural: 1280x720', async () => {
    const video = await completedVideo(
      client,
      (
        await client.videos.create({
          prompt: 'A field of wheat.',
          seconds: '1' as OpenAI.Videos.VideoSeconds,
          size: '1280x720',
        })
      ).id,
    );
    const probe = await ffmpeg.probe(await download(video.id, 'hd.mp4'));
    expect([probe.video!.width, probe.video!.height]).toEqual([1280, 720]);
    expect(video.size).toBe('1280x720');
  });

  it('answers edit and the character calls with BadRequestError saying why', async () => {
    const edit = await client.videos
      .edit({ video: { id: 'a'.repeat(32) }, prompt: 'Make it night.' })
      .catch((e: unknown) => e);
    expect(edit).toBeInstanceOf(BadRequestError);
    expect((edit as BadRequestError).message).toContain('video-to-video');
    const character = await client.videos
      .createCharacter({
        name: 'Ada',
        video: await toFile(Buffer.from('not a video'), 'ada.mp4', { type: 'video/mp4' }),
      })
      .catch((e: unknown) => e);
    expect(character).toBeInstanceOf(BadRequestError);
    expect((character as BadRequestError).message).toContain('ttv keeps no characters');
    const get = await client.videos.getCharacter('char_123').catch((e: unknown) => e);
    expect(get).toBeInstanceOf(BadRequestError);
    // An extension of a video that does not exist names the parameter.
    const missing = await client.videos
      .extend({ video: { id: 'b'.repeat(32) }, prompt: 'More.', seconds: '4' })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(BadRequestError);
    expect((missing as BadRequestError).param).toBe('video');
  });

  it('lists ttv-preview, sora-2 and sora-2-pro in GET /v1/models with the backend they render on', async () => {
    const models = (await client.models.list()).data as unknown as {
      id: string;
      maps_to?: { backend: string; model: string };
    }[];
    for (const id of ['ttv-preview', 'sora-2', 'sora-2-pro']) {
      expect(models.find((m) => m.id === id)?.maps_to).toEqual({ backend: 'procedural', model: 'procedural' });
    }
  });
});

describe('Videos API on a default server (no job options, no model mapping)', () => {
  let svc: TestService;
  let client: OpenAI;
  beforeAll(async () => {
    svc = await startTestService();
    client = new OpenAI({ apiKey: 'unused', baseURL: `${svc.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('renders create({ prompt }) and create({ model: "ttv-preview" }) as pasted', async () => {
    for (const body of [
      { prompt: 'A quiet harbour.' },
      { prompt: 'A quiet harbour.', model: 'ttv-preview' as const },
      { prompt: 'A quiet harbour.', model: 'sora-2' as const },
    ]) {
      const video = await completedVideo(client, (await client.videos.create(body)).id);
      expect(video.model).toBe(body.model ?? 'procedural');
    }
  });
});

describe('openai_compat.models at startup', () => {
  it('refuses a mapping to a backend that cannot start', async () => {
    await expect(startTestService({ openai_compat: { models: { 'sora-2': 'runway' } } })).rejects.toThrow(
      /openai_compat\.models\.sora-2/,
    );
    await expect(startTestService({ openai_compat: { models: { 'sora-2': 'no-such-backend' } } })).rejects.toThrow(
      /unknown backend/,
    );
  });
});
