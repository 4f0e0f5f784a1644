// `extend` with an uploaded video, as the official `openai` SDK sends it (`video` as a file part of a
// multipart body), against a real ttv on loopback: the result is the upload followed by the new
// part (its length the sum, its first frame the upload's), it names no source video, the upload's
// bytes leave the job record when the job ends; a file that is not a video, one over the cap, and
// one from a key that may not send files are refused with param `video`.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { APIError, BadRequestError, toFile } from 'openai';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';
import { runProcess } from '../../../src/media/process-runner.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { completedVideo, type TtvVideo } from '../../support/openai-videos.js';
import { decodedFrame, psnr } from '../../support/frames.js';

const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 2000 });

/** A moving test pattern (every frame differs) as an H.264 MP4. */
async function testPattern(path: string, size: string, seconds: number): Promise<Buffer> {
  await runProcess('ffmpeg', [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=12:duration=${seconds}`,
    '-c:v',
    'libx264',
    '-pix_fmt',
    'yuv420p',
    '-preset',
    'ultrafast',
    '-movflags',
    '+faststart',
    path,
  ]);
  return readFile(path);
}

describe('extend with an uploaded video, with the official SDK', () => {
  let svc: TestService;
  let dir: string;
  let client: OpenAI;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ttv-videos-upload-'));
    svc = await startTestService({ server: { job_options: ['duration_seconds', 'image'], max_image_bytes: 200_000 } });
    client = new OpenAI({ apiKey: 'anything-at-all', baseURL: `${svc.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await svc?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("extends the upload: the sum of the lengths, the upload's first frame, no source id", async () => {
    const uploadPath = join(dir, 'upload.mp4');
    const bytes = await testPattern(uploadPath, '320x180', 2);
    const uploadProbe = await ffmpeg.probe(uploadPath);
    const extension = (await client.videos.extend({
      video: await toFile(bytes, 'clip.mp4', { type: 'video/mp4' }),
      prompt: 'The pattern keeps turning.',
      seconds: '4',
    })) as TtvVideo;
    expect(extension.extended_from_video_id).toBeNull();
    expect(extension.size).toBe('320x180');
    const extended = await completedVideo(client, extension.id);
    expect(extended.extended_from_video_id).toBeNull();
    const file = join(dir, 'extended.mp4');
    await writeFile(file, Buffer.from(await (await client.videos.downloadContent(extended.id)).arrayBuffer()));
    const probe = await ffmpeg.probe(file);
    expect(Math.abs(probe.durationSeconds - (uploadProbe.durationSeconds + 4))).toBeLessThanOrEqual(0.5);
    expect(Math.abs(probe.durationSeconds - Number(extended.seconds))).toBeLessThanOrEqual(0.5);
    expect(extended.size).toBe(`${probe.video!.width}x${probe.video!.height}`);
    // The result opens with the upload: its first frame is the upload's first, not its last.
    const first = await decodedFrame(file, 'first');
    const uploadFirst = await decodedFrame(uploadPath, 'first');
    const uploadLast = await decodedFrame(uploadPath, 'last');
    expect(psnr(first, uploadFirst)).toBeGreaterThan(30);
    expect(psnr(first, uploadFirst)).toBeGreaterThan(psnr(first, uploadLast) + 3);
    // The upload's bytes travelled in the job's request, and left it when the job ended.
    const job = await svc.queue.get(extended.id);
    expect(job!.request.source).toMatchObject({ job_id: null, use: 'extend', upload: { bytes: bytes.length } });
    expect(job!.request.source!.upload!.data_base64).toBeUndefined();
  });

  it('refuses a file that is not a video, and one over server.max_image_bytes, with param video', async () => {
    const text = await client.videos
      .extend({
        video: await toFile(Buffer.from('just some text, not a video at all'), 'clip.mp4', { type: 'video/mp4' }),
        prompt: 'More.',
        seconds: '4',
      })
      .catch((e: unknown) => e);
    expect(text).toBeInstanceOf(BadRequestError);
    expect((text as BadRequestError).param).toBe('video');
    expect((text as BadRequestError).message).toMatch(/not a readable MP4 video/);
    const png = join(dir, 'still.png');
    await runProcess('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=64x36',
      '-frames:v',
      '1',
      png,
    ]);
    const still = await client.videos
      .extend({
        video: await toFile(await readFile(png), 'clip.mp4', { type: 'video/mp4' }),
        prompt: 'More.',
        seconds: '4',
      })
      .catch((e: unknown) => e);
    expect((still as BadRequestError).param).toBe('video');
    // Over the cap, under the body limit (max_image_bytes × 4/3 + 64 KiB): the upload's own check.
    const big = await testPattern(join(dir, 'big.mp4'), '480x270', 3);
    expect(big.length).toBeGreaterThan(200_000);
    expect(big.length).toBeLessThan(Math.ceil((200_000 * 4) / 3) + 64 * 1024);
    const tooBig = await client.videos
      .extend({ video: await toFile(big, 'big.mp4', { type: 'video/mp4' }), prompt: 'More.', seconds: '4' })
      .catch((e: unknown) => e);
    expect(tooBig).toBeInstanceOf(APIError);
    expect((tooBig as APIError).status).toBe(413);
    expect((tooBig as APIError).message).toMatch(/server\.max_image_bytes/);
  });
});

describe('extend with an uploaded video from a key that may not send files', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ server: { job_options: ['duration_seconds'] } });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('answers 400 with param video (the `image` option governs uploads)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ttv-videos-upload-'));
    try {
      const bytes = await testPattern(join(dir, 'tiny.mp4'), '64x36', 0.5);
      const client = new OpenAI({ apiKey: 'x', baseURL: `${svc.url}/v1`, maxRetries: 0 });
      const refused = await client.videos
        .extend({
          video: await toFile(bytes, 'tiny.mp4', { type: 'video/mp4' }),
          prompt: 'More.',
          seconds: '1' as OpenAI.Videos.VideoSeconds,
        })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(BadRequestError);
      expect((refused as BadRequestError).param).toBe('video');
      expect((refused as BadRequestError).message).toMatch(/not allowed/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
