// `ttv submit` with per-job option flags against a live server: the flags become the job's options
// (the image uploaded as a file part), the webhook secret is printed once, and the video follows them.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/test-service.js';
import { TTV_BIN } from '../support/ttv-process.js';
import { Ffmpeg } from '../../src/media/ffmpeg.js';

const exec = promisify(execFile);
const TOKEN = 'cli-options-token-0123456789';
let svc: TestService;
let dir: string;
let receiver: Server;
let hookUrl: string;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  svc = await startTestService({
    security: { auth_token: TOKEN },
    server: { job_options: ['duration_seconds', 'aspect_ratio', 'seed', 'image', 'webhook'] },
    webhooks: { allow_private_urls: true },
  });
  dir = await mkdtemp(join(tmpdir(), 'ttv-cli-options-'));
});
afterAll(async () => {
  await svc?.close();
  receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ttv submit with option flags', () => {
  it('sends duration, aspect ratio, seed, image and webhook, and the video follows them', async () => {
    const png = join(dir, 'first.png');
    await exec('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'color=c=0x00ff00:s=32x32', '-frames:v', '1', png]);
    const out = join(dir, 'video.mp4');
    const { stdout, stderr } = await exec(
      process.execPath,
      [
        TTV_BIN,
        'submit',
        'A green field.',
        '--duration',
        '2',
        '--aspect-ratio',
        '9:16',
        '--seed',
        '5',
        '--image',
        png,
        '--webhook',
        hookUrl,
        '--webhook-events',
        'job.finished',
        '--webhook-secret-file',
        join(dir, 'hook.secret'),
        '--wait',
        '--out',
        out,
        '--server',
        svc.url,
        '--token',
        TOKEN,
      ],
      { timeout: 120_000 },
    );
    const id = stdout.trim();
    expect(stderr).toContain(`webhook secret written to ${join(dir, 'hook.secret')}`);
    expect((await readFile(join(dir, 'hook.secret'), 'utf8')).trim()).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    expect((await stat(join(dir, 'hook.secret'))).mode & 0o777).toBe(0o600);
    expect(stderr).toContain(`job ${id} finished`);
    const job = (await (
      await fetch(`${svc.url}/v1/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).json()) as { options: Record<string, unknown> };
    expect(job.options).toEqual({
      duration_seconds: 2,
      aspect_ratio: '9:16',
      seed: 5,
      image: {
        content_type: 'image/png',
        bytes: (await readFile(png)).length,
        sha256: createHash('sha256')
          .update(await readFile(png))
          .digest('hex'),
      },
      webhook: { url: hookUrl, events: ['job.finished'] },
    });
    const probe = await new Ffmpeg({ ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', graceMs: 2000 }).probe(out);
    expect(Math.abs(probe.durationSeconds - 2)).toBeLessThanOrEqual(0.5);
    expect(probe.video!.height).toBeGreaterThan(probe.video!.width);
  });

  it('names a bad flag value before anything is sent', async () => {
    const res = await exec(process.execPath, [
      TTV_BIN,
      'submit',
      'A field.',
      '--seed',
      'abc',
      '--server',
      svc.url,
      '--token',
      TOKEN,
    ]).catch((e: unknown) => e as { code: number; stderr: string });
    expect((res as { code: number }).code).not.toBe(0);
    expect((res as { stderr: string }).stderr).toContain('--seed');
  });
});
