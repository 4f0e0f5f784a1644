// A first frame that slipped past the submission checks cannot pin a worker. One worker slot
// (worker.concurrency 1), so the next job runs only once the bad one's attempt has ended:
// - a fake PNG in a job stored without the HTTP checks (as a job queued by an earlier version is)
//   fails its attempt with ffmpeg's decode error: a still image is read once, never looped open-ended;
// - an operator-configured initial_image that never yields a byte (a named pipe nobody writes,
//   like a stalled network mount) fails its attempt with the deadline reason.
// In both cases the next job finishes. Outcomes only: no wall time is asserted.
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { waitForProgress } from '../../support/wait-for.js';
import { dataUri, fakePng, realImage } from '../../support/images.js';

const run = promisify(execFile);

interface JobBody {
  id: string;
  status: string;
  progress: number;
  error: string | null;
}

async function settled(url: string, id: string): Promise<JobBody> {
  let job: JobBody | null = null;
  await waitForProgress(
    async () => {
      job = (await (await fetch(`${url}/v1/jobs/${id}`)).json()) as JobBody;
      return { done: ['finished', 'failed', 'canceled'].includes(job.status), progress: job.progress };
    },
    { what: `job ${id}` },
  );
  return job!;
}

async function submitted(url: string, body: unknown): Promise<string> {
  const res = await postJob(url, body);
  expect(res.status).toBe(202);
  return ((await res.json()) as JobBody).id;
}

describe('a bad first frame that slipped through', () => {
  let dir: string;
  let fifo: string;
  let svc: TestService;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ttv-deadlines-'));
    fifo = join(dir, 'first_frame.png');
    await run('mkfifo', [fifo]);
    svc = await startTestService({
      initial_image: fifo,
      server: { job_options: ['image'] },
      worker: { concurrency: 1, cancel_grace_seconds: 0.5 },
      // Short deadlines, so that the test does not wait long for the stuck run: 3 s plus 1 s per second of video.
      media: { ffmpeg_timeout_seconds: 3, ffmpeg_timeout_per_video_second: 1 },
    });
  });
  afterAll(async () => {
    await svc?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fails a stored fake PNG with the decode error, and the next job runs', async () => {
    const fake = fakePng();
    const stored = await svc.queue.submit({
      prompt: 'A lake.',
      options: {
        image: {
          content_type: 'image/png',
          data_base64: fake.toString('base64'),
          bytes: fake.length,
          sha256: createHash('sha256').update(fake).digest('hex'),
        },
      },
    });
    const next = await submitted(svc.url, { prompt: 'A lake.', options: { image: dataUri(await realImage('png')) } });
    const bad = await settled(svc.url, stored.job.id);
    expect(bad.status).toBe('failed');
    expect(bad.error).toContain('Invalid data found when processing input');
    expect((await settled(svc.url, next)).status).toBe('finished');
  });

  it('fails a first frame that never arrives with the deadline reason, and the next job runs', async () => {
    // No image: the configured initial_image (the pipe) is the first frame.
    const stuck = await submitted(svc.url, { prompt: 'A lake at dawn.' });
    const next = await submitted(svc.url, { prompt: 'A lake.', options: { image: dataUri(await realImage('png')) } });
    const bad = await settled(svc.url, stuck);
    expect(bad.status).toBe('failed');
    // One 1 s segment: 3 s + 1 s per second of video.
    expect(bad.error).toContain(
      'ffmpeg did not finish within 4 s (media.ffmpeg_timeout_seconds + media.ffmpeg_timeout_per_video_second × 1 s of video)',
    );
    const done = await settled(svc.url, next);
    expect(done.error).toBeNull();
    expect(done.status).toBe('finished');
  });
});
