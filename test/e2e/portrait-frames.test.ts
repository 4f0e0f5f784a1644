// A 9:16 job's first (and last) frames are portrait, end to end: a real `ttv serve` process, its
// production image providers and video clients against the vendor fakes. What the Runway fake
// received is decoded: every promptImage is a 9:16 PNG (DALL·E's 1024x1792 and Gemini's 768x1344
// cropped to it; later first frames taken from the 720x1280 clips Runway renders for 720:1280), and
// a procedural job renders a portrait video from portrait keyframes.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { FakeRunwayServer } from '../fakes/runway/fake-runway-server.js';
import { FakeOpenAiServer } from '../fakes/openai/fake-openai-server.js';
import { FakeGeminiServer } from '../fakes/gemini/fake-gemini-server.js';
import { pngSize } from '../fakes/shared/fake-http-server.js';
import { startTtv, type TtvProcess } from '../support/ttv-process.js';
import { waitForJobStatus } from '../support/job-status.js';
import { probeArtifact } from '../support/backend-jobs.js';

const RUNWAY_KEY = 'rw-e2e-key-0123456789';
const OPENAI_KEY = 'sk-e2e-openai-0123456789';
const GEMINI_KEY = 'gemini-e2e-key-0123456789';
const runway = new FakeRunwayServer(RUNWAY_KEY);
const openai = new FakeOpenAiServer(OPENAI_KEY);
const gemini = new FakeGeminiServer(GEMINI_KEY);
const procs: TtvProcess[] = [];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-portrait-'));
  await Promise.all([runway.start(), openai.start(), gemini.start()]);
});
afterAll(async () => {
  await Promise.all([runway.stop(), openai.stop(), gemini.stop()]);
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill('SIGTERM')));
  runway.reset();
  openai.reset();
  gemini.reset();
});

async function serve(name: string, config: Record<string, unknown>): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    stringify({
      data_dir: join(dir, name),
      server: { host: '127.0.0.1', port: 0, job_options: ['aspect_ratio', 'backend'] },
      procedural: { width: 160, height: 90, fps: 12 },
      runway_ml: { api_key: RUNWAY_KEY, base_url: runway.url },
      // The fakes are not the vendors: their polling floors are lifted, as for any local mock.
      remote_api_settings: {
        polling_interval: 0.02,
        polling_interval_floor_override: true,
        retry_base_seconds: 0.01,
        timeout: 60,
      },
      ...config,
    }),
  );
  const proc = await startTtv(['serve', '--config', file]);
  procs.push(proc);
  return proc.url;
}

async function runJob(
  url: string,
  options: Record<string, unknown>,
): Promise<{ id: string; status: string; error: unknown }> {
  const res = await fetch(`${url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'A lighthouse at dawn. Waves break on the rocks.', options }),
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  const job = await waitForJobStatus(url, id, ['finished', 'failed'], { timeoutMs: 120_000 });
  return { id, status: String(job.status), error: job.error };
}

/** The PNG sizes of every promptImage Runway was sent, per create call. */
function framesSentToRunway(): { ratio: string; frames: { width: number; height: number }[] }[] {
  return runway.requests
    .filter((r) => r.method === 'POST' && r.path === '/v1/image_to_video')
    .map((r) => {
      const body = JSON.parse(r.body.toString()) as { ratio: string; promptImage: string | { uri: string }[] };
      const uris = typeof body.promptImage === 'string' ? [body.promptImage] : body.promptImage.map((p) => p.uri);
      return {
        ratio: body.ratio,
        frames: uris.map((uri) => pngSize(Buffer.from(uri.slice(uri.indexOf(',') + 1), 'base64'))!),
      };
    });
}

describe('a 9:16 job', () => {
  it('chaining on Runway gen4_turbo with DALL·E 3: every first frame Runway gets is a 9:16 PNG', async () => {
    const url = await serve('chain', {
      default_backend: 'runway',
      generation_mode: 'chaining',
      segment_duration_seconds: 5,
      image_generation_model: 'dall-e-3',
      openai_api_key: OPENAI_KEY,
      openai_base_url: `${openai.url}/v1`,
    });
    const job = await runJob(url, { aspect_ratio: '9:16' });
    expect(job).toMatchObject({ status: 'finished', error: null });
    // DALL·E 3 was asked for its portrait size, as b64_json.
    expect(JSON.parse(openai.requests[0]!.body.toString())).toMatchObject({
      model: 'dall-e-3',
      size: '1024x1792',
      response_format: 'b64_json',
    });
    const sent = framesSentToRunway();
    expect(sent).toHaveLength(2);
    // Segment 1 starts on DALL·E's image cropped to 9:16; segment 2 on the last frame of the 720x1280 clip.
    expect(sent.map((s) => s.ratio)).toEqual(['720:1280', '720:1280']);
    expect(sent.map((s) => s.frames)).toEqual([[{ width: 1008, height: 1792 }], [{ width: 720, height: 1280 }]]);
    expect(await probeArtifact({ url }, job.id)).toMatchObject({ codec: 'h264', width: 720, height: 1280 });
  });

  it('keyframe mode on Runway veo3.1 with Gemini images: first and last frames are 9:16 PNGs; the procedural backend renders portrait', async () => {
    const url = await serve('keyframe', {
      default_backend: 'runway',
      generation_mode: 'keyframe',
      segment_duration_seconds: 4,
      runway_ml: { api_key: RUNWAY_KEY, base_url: runway.url, model_version: 'veo3.1' },
      image_generation_model: 'gemini-2.5-flash-image-preview',
      gemini_api_key: GEMINI_KEY,
      gemini_base_url: gemini.url,
    });
    const job = await runJob(url, { aspect_ratio: '9:16' });
    expect(job).toMatchObject({ status: 'finished', error: null });
    const sent = framesSentToRunway();
    expect(sent).toHaveLength(2);
    for (const { ratio, frames } of sent) {
      expect(ratio).toBe('720:1280');
      // First and last frame: Gemini's 768x1344 for 9:16, cropped to exactly 9:16.
      expect(frames).toEqual([
        { width: 756, height: 1344 },
        { width: 756, height: 1344 },
      ]);
    }

    // The same server, the offline video backend: its clips take the job's aspect (160x90 → 90x160).
    const offline = await runJob(url, { aspect_ratio: '9:16', backend: 'procedural' });
    expect(offline.status).toBe('finished');
    expect(await probeArtifact({ url }, offline.id)).toMatchObject({ width: 90, height: 160 });
  });
});
