// First-frame images are decoded at submission, not sniffed: ffprobe reads the type, the dimensions
// and one frame within the configured caps, and anything else is a 400 naming the field, on
// POST /v1/jobs (data URI, multipart file) and POST /v1/videos (input_reference). Against a running
// service (no worker: nothing here needs rendering).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { dataUri, fakePng, pngClaiming, realImage } from '../../support/images.js';

interface Answer {
  status: number;
  body: { message?: string; details?: { field?: string }; error?: { message: string; param: string | null } };
}

async function submitImage(url: string, image: string): Promise<Answer> {
  const res = await postJob(url, { prompt: 'A lake.', options: { image } });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

describe('first-frame images at submission (default caps)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService({ server: { job_options: ['image'] } }, { worker: false });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('refuses the 69-byte fake PNG: a PNG signature followed by garbage', async () => {
    const fake = fakePng();
    expect(fake.length).toBe(69);
    const res = await submitImage(svc.url, dataUri(fake));
    expect(res.status).toBe(400);
    expect(res.body.details?.field).toBe('options.image');
    expect(res.body.message).toBe('options.image: could not be decoded as a PNG image');
  });

  it('refuses a small PNG whose header claims 30000×30000, without decoding it', async () => {
    const huge = pngClaiming(30_000, 30_000);
    expect(huge.length).toBeLessThan(200);
    const res = await submitImage(svc.url, dataUri(huge));
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(
      'options.image: is 30000×30000 pixels; at most 8192×8192 and 40000000 pixels (server.max_image_width, server.max_image_height, server.max_image_pixels)',
    );
  });

  it('refuses the same on a multipart upload and on /v1/videos input_reference, naming the field', async () => {
    const form = new FormData();
    form.set('prompt', 'A lake.');
    form.set('image', new Blob([new Uint8Array(fakePng())], { type: 'image/png' }), 'frame.png');
    const jobs = await fetch(`${svc.url}/v1/jobs`, { method: 'POST', body: form });
    expect(jobs.status).toBe(400);
    expect(((await jobs.json()) as Answer['body']).details?.field).toBe('options.image');

    const video = new FormData();
    video.set('prompt', 'A lake.');
    video.set(
      'input_reference',
      new Blob([new Uint8Array(pngClaiming(30_000, 30_000))], { type: 'image/png' }),
      'frame.png',
    );
    const videos = await fetch(`${svc.url}/v1/videos`, { method: 'POST', body: video });
    expect(videos.status).toBe(400);
    const answer = (await videos.json()) as Answer['body'];
    expect(answer.error?.param).toBe('input_reference');
    expect(answer.error?.message).toContain('is 30000×30000 pixels');
  });

  it('takes real PNG, JPEG and WebP images', async () => {
    for (const [type, mime] of [
      ['png', 'image/png'],
      ['jpeg', 'image/jpeg'],
      ['webp', 'image/webp'],
    ] as const) {
      const res = await submitImage(svc.url, dataUri(await realImage(type), mime));
      expect(res.status, type).toBe(202);
    }
  });
});

describe('first-frame images at submission (operator caps)', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(
      {
        server: {
          job_options: ['image'],
          image_types: ['png'],
          max_image_width: 64,
          max_image_height: 64,
          max_image_pixels: 3000,
        },
      },
      { worker: false },
    );
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('holds each dimension, the pixel count and the allowed types', async () => {
    const caps =
      'at most 64×64 and 3000 pixels (server.max_image_width, server.max_image_height, server.max_image_pixels)';
    expect((await submitImage(svc.url, dataUri(await realImage('png', 50, 50)))).status).toBe(202);
    const wide = await submitImage(svc.url, dataUri(await realImage('png', 80, 16)));
    expect(wide.status).toBe(400);
    // Within the decoder's pixel cap (64×64), but wider than 64.
    expect(wide.body.message).toBe(`options.image: is 80×16 pixels; ${caps}`);
    const many = await submitImage(svc.url, dataUri(await realImage('png', 60, 60)));
    expect(many.body.message).toBe(`options.image: is 60×60 pixels; ${caps}`);
    const jpeg = await submitImage(svc.url, dataUri(await realImage('jpeg'), 'image/jpeg'));
    expect(jpeg.status).toBe(400);
    expect(jpeg.body.message).toBe('options.image: must be a PNG image');
  });
});
