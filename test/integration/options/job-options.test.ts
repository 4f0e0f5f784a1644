// Per-job options against a running service on the offline procedural backend: each option changes
// what is rendered (read back with ffprobe and the job log), options the operator did not allow or
// the backend cannot render are refused with a 400 naming the option and the allowed values, and a
// job's own webhook arrives signed with that job's secret.
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { Ffmpeg } from '../../../src/media/ffmpeg.js';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { waitFor, waitForProgress } from '../../support/wait-for.js';
import { createKey } from '../../support/api-keys.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';

const run = promisify(execFile);
const ffmpeg = new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 2000 });

interface JobBody {
  id: string;
  status: string;
  progress: number;
  error: string | null;
  options: Record<string, unknown> | null;
  webhook_secret?: string;
}

async function finished(url: string, id: string): Promise<JobBody> {
  let job: JobBody | null = null;
  await waitForProgress(
    async () => {
      job = (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as JobBody;
      return { done: ['finished', 'failed', 'canceled'].includes(job.status), progress: job.progress };
    },
    { what: `job ${id}` },
  );
  expect(job!.error).toBeNull();
  expect(job!.status).toBe('finished');
  return job!;
}

async function download(url: string, id: string, dir: string): Promise<string> {
  const res = await fetch(`${url}/v1/jobs/${id}/artifact?redirect=true`);
  expect(res.status).toBe(200);
  const path = join(dir, `${id}.mp4`);
  await writeFile(path, Buffer.from(await res.arrayBuffer()));
  return path;
}

/** MD5 of the decoded video frames (container metadata aside). */
async function frameDigest(path: string): Promise<string> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-i', path, '-map', '0:v', '-f', 'md5', '-']);
  return stdout.trim();
}

async function submit(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await postJob(url, body);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('server without job_options (the v1 contract), and per-key lists', () => {
  let svc: TestService;
  beforeAll(async () => {
    svc = await startTestService(
      {
        server: { job_options_by_key: { trusted: ['backend', 'duration_seconds', 'seed'] } },
        runway_ml: { api_key: 'test-runway-key-0123456789' },
      },
      { worker: false },
    );
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('refuses any field but prompt, and lists no options', async () => {
    const refused = await submit(svc.url, { prompt: 'A lake.', options: { seed: 1 } });
    expect(refused.status).toBe(400);
    expect((refused.body.details as { field: string }).field).toBe('options');
    const caps = (await (await fetch(`${svc.url}/v1/capabilities`)).json()) as {
      job_options: string[];
      backends: { id: string; available: boolean }[];
    };
    expect(caps.job_options).toEqual([]);
    expect(caps.backends.find((b) => b.id === 'procedural')?.available).toBe(true);
  });

  it('gives a key its own list, and prices the job on the backend and duration it chose', async () => {
    const store = ['--data-dir', svc.dataDir];
    const trusted = await createKey(store, 'trusted');
    const plain = await createKey(store, 'plain');
    const as = (key: { secret: string }) => ({ authorization: `Bearer ${key.secret}` });
    const caps = async (key: { secret: string }) =>
      ((await (await fetch(`${svc.url}/v1/capabilities`, { headers: as(key) })).json()) as { job_options: string[] })
        .job_options;
    expect(await caps(trusted)).toEqual(['backend', 'duration_seconds', 'seed']);
    expect(await caps(plain)).toEqual([]);
    const body = { prompt: 'A lake.', options: { backend: 'runway', duration_seconds: 5 } };
    expect((await postJob(svc.url, body, as(plain))).status).toBe(400);
    const accepted = await postJob(svc.url, body, as(trusted));
    expect(accepted.status).toBe(202);
    // gen4_turbo lists at $0.05 per second: one 5 s clip.
    expect(((await accepted.json()) as { estimated_cost_usd: number }).estimated_cost_usd).toBeCloseTo(0.25, 6);
  });
});

describe('server with job_options', () => {
  let svc: TestService;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ttv-options-'));
    svc = await startTestService({
      server: {
        job_options: [
          'backend',
          'generation_mode',
          'duration_seconds',
          'segment_duration_seconds',
          'aspect_ratio',
          'seed',
          'webhook',
          'image',
          'max_cost_usd',
        ],
      },
      // Runway is configured (never called here) so that a backend with real limits can be chosen.
      runway_ml: { api_key: 'test-runway-key-0123456789' },
      worker: { concurrency: 2 },
    });
  });
  afterAll(async () => {
    await svc?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an option the operator did not allow, naming it and the allowed ones', async () => {
    const res = await submit(svc.url, { prompt: 'A lake.', options: { resolution: '320x180' } });
    expect(res.status).toBe(400);
    expect((res.body.details as { field: string }).field).toBe('options.resolution');
    expect(res.body.message).toContain('allowed options: backend, generation_mode');
  });

  it('refuses what the chosen backend cannot render, naming the allowed values', async () => {
    const duration = await submit(svc.url, { prompt: 'A lake.', options: { backend: 'runway', duration_seconds: 11 } });
    expect(duration.status).toBe(400);
    expect((duration.body.details as { field: string }).field).toBe('options.duration_seconds');
    expect(duration.body.message).toMatch(/allowed: 2, 3, 4, 5, 6, 7, 8, 9, 10\)/);
    const ratio = await submit(svc.url, { prompt: 'A lake.', options: { backend: 'runway', aspect_ratio: '5:4' } });
    expect(ratio.status).toBe(400);
    expect((ratio.body.details as { field: string }).field).toBe('options.aspect_ratio');
    expect(ratio.body.message).toContain('allowed: 16:9, 9:16, 4:3, 3:4, 1:1, 21:9');
    const seed = await submit(svc.url, { prompt: 'A lake.', options: { backend: 'veo3', seed: 3 } });
    expect(seed.status).toBe(400);
    expect((seed.body.details as { field: string }).field).toBe('options.backend');
  });

  it('takes an image as a data URI, and refuses what is not an image or a URL it may not fetch', async () => {
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==',
      'base64',
    );
    const ok = await submit(svc.url, {
      prompt: 'A dot.',
      options: { duration_seconds: 1, image: `data:image/png;base64,${png.toString('base64')}` },
    });
    expect(ok.status).toBe(202);
    expect((ok.body.options as { image: unknown }).image).toEqual({
      content_type: 'image/png',
      bytes: png.length,
      sha256: createHash('sha256').update(png).digest('hex'),
    });
    const text = await submit(svc.url, {
      prompt: 'A dot.',
      options: { image: `data:image/png;base64,${Buffer.from('not an image').toString('base64')}` },
    });
    expect(text.status).toBe(400);
    expect(text.body.message).toBe('options.image: must be a PNG, JPEG or WebP image');
    const url = await submit(svc.url, { prompt: 'A dot.', options: { image: 'https://example.com/frame.png' } });
    expect(url.status).toBe(400);
    expect(url.body.message).toContain('server.fetch_image_urls');
    await finished(svc.url, ok.body.id as string);
  });

  it('prices and caps the job on its own backend, before any vendor call', async () => {
    const res = await submit(svc.url, {
      prompt: 'A lake.',
      options: { backend: 'runway', duration_seconds: 5, max_cost_usd: 0.1 },
    });
    expect(res.status).toBe(202);
    expect(res.body.estimated_cost_usd).toBeCloseTo(0.25, 6);
    let job: JobBody | null = null;
    await waitForProgress(
      async () => {
        job = (await (await fetch(`${svc.url}/v1/jobs/${res.body.id as string}`)).json()) as JobBody;
        return { done: job.status === 'failed' || job.status === 'finished', progress: job.progress };
      },
      { what: 'the capped job' },
    );
    expect(job!.status).toBe('failed');
    expect(job!.error).toContain('exceeds max_cost_per_video $0.10');
    const logs = (
      (await (await fetch(`${svc.url}/v1/jobs/${res.body.id as string}/logs?tail=0`)).json()) as { lines: string[] }
    ).lines.join('\n');
    expect(logs).not.toContain('attempt started');
  });

  it('refuses a webhook to a loopback or private address', async () => {
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://10.1.2.3/hook',
      'http://[::1]/hook',
      'http://169.254.169.254/latest',
    ]) {
      const res = await submit(svc.url, { prompt: 'A lake.', options: { webhook: { url } } });
      expect(res.status, url).toBe(400);
      expect((res.body.details as { field: string }).field).toBe('options.webhook.url');
    }
  });

  it('renders the requested duration, aspect ratio, seed and mode', async () => {
    const prompt = 'A quiet lake at dawn. Mist rises over the water.';
    const jobs = {
      two: { prompt, options: { duration_seconds: 2 } },
      three: { prompt, options: { duration_seconds: 3, segment_duration_seconds: 1 } },
      portrait: { prompt, options: { aspect_ratio: '9:16', duration_seconds: 1 } },
      seedA: { prompt, options: { seed: 7, duration_seconds: 1 } },
      seedA2: { prompt, options: { seed: 7, duration_seconds: 1 } },
      seedB: { prompt, options: { seed: 8, duration_seconds: 1 } },
      keyframe: { prompt, options: { generation_mode: 'keyframe', duration_seconds: 2, segment_duration_seconds: 1 } },
    } as const;
    const ids: Record<string, string> = {};
    for (const [name, body] of Object.entries(jobs)) {
      const res = await submit(svc.url, body);
      expect(res.status, name).toBe(202);
      expect(res.body.options).toEqual(body.options);
      ids[name] = res.body.id as string;
    }
    const files: Record<string, string> = {};
    for (const [name, id] of Object.entries(ids)) {
      await finished(svc.url, id);
      files[name] = await download(svc.url, id, dir);
    }
    const two = await ffmpeg.probe(files.two!);
    const three = await ffmpeg.probe(files.three!);
    expect(two.video?.durationSeconds).toBeCloseTo(2, 0);
    expect(Math.abs(two.durationSeconds - 2)).toBeLessThan(0.5);
    expect(Math.abs(three.durationSeconds - 3)).toBeLessThan(0.5);
    expect(two.video).toMatchObject({ codec: 'h264', width: 160, height: 90 });
    const portrait = await ffmpeg.probe(files.portrait!);
    expect(portrait.video).toMatchObject({ width: 90, height: 160 });
    // The same seed renders the same frames; another seed renders others.
    expect(await frameDigest(files.seedA!)).toBe(await frameDigest(files.seedA2!));
    expect(await frameDigest(files.seedA!)).not.toBe(await frameDigest(files.seedB!));
    const logs = async (id: string) =>
      ((await (await fetch(`${svc.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] }).lines.join('\n');
    expect(await logs(ids.keyframe!)).toContain('Generating 3 keyframes');
    expect(await logs(ids.three!)).toContain('No keyframes to generate');
  });
});

describe('per-job webhook', () => {
  let svc: TestService;
  let receiver: Server;
  let receiverUrl: string;
  const deliveries: { body: string; headers: Record<string, string> }[] = [];
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        deliveries.push({
          body,
          headers: {
            'webhook-id': String(req.headers['webhook-id']),
            'webhook-timestamp': String(req.headers['webhook-timestamp']),
            'webhook-signature': String(req.headers['webhook-signature']),
          },
        });
        res.writeHead(204).end();
      });
    });
    receiver.listen(0, '127.0.0.1');
    await once(receiver, 'listening');
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    svc = await startTestService({
      server: { job_options: ['webhook', 'duration_seconds'] },
      webhooks: { allow_private_urls: true },
    });
  });
  afterAll(async () => {
    await svc?.close();
    receiver?.close();
  });

  it('arrives signed with the secret returned at submission, which no other job shares', async () => {
    const first = await submit(svc.url, {
      prompt: 'A lake.',
      options: { duration_seconds: 1, webhook: { url: receiverUrl, events: ['job.finished'] } },
    });
    expect(first.status).toBe(202);
    const secret = first.body.webhook_secret as string;
    expect(secret).toMatch(/^whsec_/);
    expect(first.body.options).toEqual({
      duration_seconds: 1,
      webhook: { url: receiverUrl, events: ['job.finished'] },
    });
    // The secret is shown once: the job object never carries it.
    const shown = await (await fetch(`${svc.url}/v1/jobs/${first.body.id as string}`)).text();
    expect(shown).not.toContain(secret);
    const second = await submit(svc.url, { prompt: 'A lake.', options: { webhook: { url: receiverUrl } } });
    expect(second.body.webhook_secret).not.toBe(secret);

    await finished(svc.url, first.body.id as string);
    const delivery = await waitFor(
      async () => deliveries.find((d) => (JSON.parse(d.body) as { data: { id: string } }).data.id === first.body.id),
      { what: 'the job webhook', timeoutMs: 60_000 },
    );
    const payload = new Webhook(secret).verify(delivery.body, delivery.headers) as {
      type: string;
      data: { id: string };
    };
    expect(payload.type).toBe('job.finished');
    expect(() => new Webhook(second.body.webhook_secret as string).verify(delivery.body, delivery.headers)).toThrow();
  });
});

describe('options on the Redis adapter', () => {
  let redis: RedisServer;
  let svc: TestService;
  beforeAll(async () => {
    redis = await startRedisServer();
    svc = await startTestService({
      redis: { url: redis.url },
      server: { job_options: ['duration_seconds', 'aspect_ratio', 'image'] },
    });
  });
  afterAll(async () => {
    await svc?.close();
    await redis?.stop();
  });

  it('keeps the options, image included, through the store to the worker', async () => {
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==',
      'base64',
    );
    const res = await submit(svc.url, {
      prompt: 'A dot.',
      options: { duration_seconds: 2, aspect_ratio: '1:1', image: `data:image/png;base64,${png.toString('base64')}` },
    });
    expect(res.status).toBe(202);
    const job = await finished(svc.url, res.body.id as string);
    expect(job.options).toMatchObject({ duration_seconds: 2, aspect_ratio: '1:1', image: { bytes: png.length } });
    const dir = await mkdtemp(join(tmpdir(), 'ttv-options-redis-'));
    try {
      const probe = await ffmpeg.probe(await download(svc.url, job.id, dir));
      expect(Math.abs(probe.durationSeconds - 2)).toBeLessThan(0.5);
      expect(probe.video).toMatchObject({ width: 160, height: 160 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
