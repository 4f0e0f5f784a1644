// `size` on a vendor backend, with the official `openai` SDK against a real ttv driving the Runway
// fake (which renders the pixel size of the ratio it is sent, as Runway does): a size gen4.5 renders
// (1280x720) is accepted and the finished file, and so the object, has it; a size it does not
// (1000x700) is a 400 with param `size` naming the sizes it renders, before anything is paid. A row
// whose vendor maps any size to its nearest (wire.maps_size_to_nearest, an operator row here) takes
// 1000x700 and renders the nearest aspect.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { BadRequestError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeRunwayServer } from '../../fakes/runway/fake-runway-server.js';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';
import { shippedCatalog } from '../../../src/catalog/model-catalog.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { FAST_REMOTE } from '../../support/backend-jobs.js';
import { waitForProgress } from '../../support/wait-for.js';

const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 2000 });
const RUNWAY_KEY = 'rw-vendor-size-key-0123456789';
const runway = new FakeRunwayServer(RUNWAY_KEY);
const creates = () => runway.requests.filter((r) => r.method === 'POST').length;

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

const runwayConfig = (extra: Record<string, unknown> = {}) => ({
  server: { job_options: ['aspect_ratio', 'duration_seconds'] },
  runway_ml: { api_key: RUNWAY_KEY, base_url: runway.url, ...extra },
  remote_api_settings: FAST_REMOTE,
  default_backend: 'runway',
  segment_duration_seconds: 5,
});

beforeAll(async () => {
  await runway.start();
});
afterAll(async () => {
  await runway.stop();
});

describe('size on gen4.5 (Runway)', () => {
  let svc: TestService;
  let client: OpenAI;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ttv-vendor-size-'));
    svc = await startTestService(runwayConfig({ model_version: 'gen4.5' }));
    client = new OpenAI({ apiKey: 'unused', baseURL: `${svc.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await svc?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses 1000x700 with param size naming the sizes gen4.5 renders, before any vendor call', async () => {
    const before = creates();
    const refused = await client.videos
      .create({ prompt: 'A lake at noon.', size: '1000x700' as OpenAI.Videos.VideoSize })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BadRequestError);
    expect((refused as BadRequestError).param).toBe('size');
    expect((refused as BadRequestError).message).toContain('gen4.5 (runway) renders 1280x720, 720x1280, not 1000x700');
    // 1920x1080 has gen4.5's aspect, but gen4.5 renders 1280x720 for it: refused, not downscaled silently.
    const full = await client.videos
      .create({ prompt: 'A lake at noon.', size: '1920x1080' as OpenAI.Videos.VideoSize })
      .catch((e: unknown) => e);
    expect((full as BadRequestError).param).toBe('size');
    expect((full as BadRequestError).message).toContain('not 1920x1080');
    // 960x960 is an image-mode size of gen4.5, not a text-mode one.
    const square = await client.videos
      .create({ prompt: 'A lake at noon.', size: '960x960' as OpenAI.Videos.VideoSize })
      .catch((e: unknown) => e);
    expect((square as BadRequestError).param).toBe('size');
    expect(creates()).toBe(before);
  });

  it('renders 1280x720 as asked: the file and the finished object say 1280x720', async () => {
    const video = await client.videos.create({
      prompt: 'A lake at noon.',
      size: '1280x720',
      seconds: '5' as OpenAI.Videos.VideoSeconds,
    });
    expect(video.size).toBe('1280x720');
    const done = await ended(client, video.id);
    expect(done.error).toBeNull();
    expect(done.size).toBe('1280x720');
    const file = join(dir, 'runway.mp4');
    await writeFile(file, Buffer.from(await (await client.videos.downloadContent(video.id)).arrayBuffer()));
    const probe = await ffmpeg.probe(file);
    expect(`${probe.video!.width}x${probe.video!.height}`).toBe('1280x720');
  });
});

describe('size on a row with wire.maps_size_to_nearest', () => {
  let svc: TestService;
  let client: OpenAI;
  beforeAll(async () => {
    const { vendor: _vendor, origin: _origin, ...gen45 } = shippedCatalog().find('runway', 'gen4.5')!;
    // An operator row laid over gen4.5's, saying (as no shipped row does) that the vendor maps sizes to the nearest.
    const row = { ...gen45, wire: { ...gen45.wire, maps_size_to_nearest: true } };
    svc = await startTestService({ ...runwayConfig({ model_version: 'gen4.5' }), models: [row] });
    client = new OpenAI({ apiKey: 'unused', baseURL: `${svc.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('takes 1000x700 and renders the nearest aspect (16:9 → 1280:720 on the wire)', async () => {
    const video = await client.videos.create({
      prompt: 'A lake at noon.',
      size: '1000x700' as OpenAI.Videos.VideoSize,
      seconds: '5' as OpenAI.Videos.VideoSeconds,
    });
    const done = await ended(client, video.id);
    expect(done.error).toBeNull();
    // The finished object reads the file: the size the vendor rendered, not the one asked.
    expect(done.size).toBe('1280x720');
    const sent = runway.requests.filter((r) => r.method === 'POST').at(-1)!;
    expect((JSON.parse(sent.body.toString('utf8')) as { ratio?: string }).ratio).toBe('1280:720');
  });
});
