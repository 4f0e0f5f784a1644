// MiniMax through whole jobs on the API against the protocol-faithful fake: submission, polling to
// Success or Fail (terminal, unlike the Python original), base_resp checked on every answer,
// files/retrieve for the download, and the retry policy for HTTP and in-body rate limits.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configSchema } from '../../../src/config/schema.js';
import { remoteSettings } from '../../../src/generators/remote/remote-settings.js';
import { TaskGoneError } from '../../../src/errors/task-gone-error.js';
import { generateRecording, resumeRecorded } from '../../support/recorded-task.js';
import { MinimaxVideoGenerator } from '../../../src/generators/minimax/minimax-video-generator.js';
import { FakeMinimaxServer } from '../../fakes/minimax/fake-minimax-server.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import {
  FAST_REMOTE,
  cancelJob,
  jobLog,
  probeArtifact,
  runJob,
  submit,
  waitForEnd,
} from '../../support/backend-jobs.js';
import { waitFor } from '../../support/wait-for.js';

const KEY = 'mm-test-key-0123456789';
const minimax = new FakeMinimaxServer(KEY);
const services: TestService[] = [];

beforeAll(async () => {
  await minimax.start();
});
afterAll(async () => {
  await minimax.stop();
});
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()));
  minimax.reset();
});

async function service(
  extra: Record<string, unknown> = {},
  remote: Record<string, unknown> = {},
): Promise<TestService> {
  const svc = await startTestService({
    default_backend: 'MiniMax',
    segment_duration_seconds: 6,
    minimax: { api_key: KEY, base_url: `${minimax.url}/v1` },
    remote_api_settings: { ...FAST_REMOTE, ...remote },
    ...extra,
  });
  services.push(svc);
  return svc;
}

const submissions = () => minimax.requests.filter((r) => r.method === 'POST' && r.path === '/v1/video_generation');

describe('MiniMax backend', () => {
  it('runs a whole job: video_generation, query polling, files/retrieve, download, a playable MP4', async () => {
    const svc = await service();
    const { id, job, lines } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(submissions()).toHaveLength(2);
    for (const req of submissions()) {
      expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
      const body = JSON.parse(req.body.toString()) as Record<string, unknown>;
      // MiniMax documents duration for the Hailuo models only: the 01 series renders 6 s and gets none.
      expect(body).toMatchObject({ model: 'I2V-01-Director' });
      expect(body.duration).toBeUndefined();
      expect(String(body.first_frame_image)).toMatch(/^data:image\/png;base64,/);
      // No silent "[Static]" prefix, unlike the Python original.
      expect(String(body.prompt)).not.toMatch(/^\[Static\]/);
    }
    expect(minimax.requests.filter((r) => r.path.startsWith('/v1/files/retrieve'))).toHaveLength(2);
    expect(job.estimated_cost_usd).toBeCloseTo(2 * 6 * 0.072, 5);
    expect(lines.join('\n')).not.toMatch(/cdn-secret/);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('stops at Fail instead of polling until the timeout', async () => {
    minimax.outcomes.push('fail');
    const { job, lines } = await runJob(await service(), 'A red kite over a field.');
    expect(job.status).toBe('failed');
    expect(job.error).toBe('The video vendor (minimax) failed to render segment 1.');
    expect(lines.some((l) => /minimax attempt failed: task \d+ failed \(MiniMax reported status Fail\)/.test(l))).toBe(
      true,
    );
    expect([...minimax.tasks.values()][0]!.polls).toBe(4);
  });

  it('reports sensitive-content refusals from base_resp, on input and on output', async () => {
    const input = await runJob(await service(), 'A forbidden-topic scene.');
    expect(input.job.error).toBe('The video vendor (minimax) refused segment 1: content policy.');
    // MiniMax's own text, and its Trace-Id header (typed in its API reference) for support requests, in the job log.
    expect(
      input.lines.some((l) =>
        /minimax attempt failed: task creation: input new_sensitive \(status_code 1026, trace-id [0-9a-f]{32}\)/.test(
          l,
        ),
      ),
    ).toBe(true);
    minimax.outcomes.push('sensitive-output');
    const output = await runJob(await service(), 'A red kite over a field.');
    expect(output.job.error).toBe('The video vendor (minimax) refused segment 1: content policy.');
    expect(output.lines.some((l) => /output new_sensitive \(status_code 1027, trace-id [0-9a-f]{32}\)/.test(l))).toBe(
      true,
    );
  });

  it('fails on a rejected key (base_resp 1004) without retrying', async () => {
    const { job, lines } = await runJob(
      await service({ minimax: { api_key: 'mm-wrong-key-000000', base_url: `${minimax.url}/v1` } }),
      'A red kite over a field.',
    );
    expect(job.status).toBe('failed');
    // ttv's own words for the client (the config key to fix), MiniMax's in the job log.
    expect(job.error).toBe(
      'Segment 1 failed: minimax: task creation was refused for its key (status_code 1004); check minimax.api_key',
    );
    expect(lines.some((l) => /login fail.*\(status_code 1004, trace-id [0-9a-f]{32}\)/.test(l))).toBe(true);
    expect(`${job.error}\n${lines.join('\n')}`).not.toContain('mm-wrong-key');
    expect(submissions()).toHaveLength(1);
  });

  it('never creates again after a 500 or an in-body 1000 on create (the task may exist): "vendor outcome unknown", with no fallback', async () => {
    minimax.failAfterCreate = 1;
    const svc = await service({ remote_api_settings: { ...FAST_REMOTE, fallback_backend: 'procedural' } });
    const { job, lines } = await runJob(svc, 'A red kite over a field. A kite string.');
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/Segment 1 failed: minimax: vendor outcome unknown: the create call answered HTTP 500/);
    expect(submissions()).toHaveLength(1);
    expect(minimax.createCount).toBe(1);
    expect(lines.some((l) => /procedural attempt started/.test(l))).toBe(false);

    minimax.script('/v1/video_generation', {
      status: 200,
      body: { task_id: '', base_resp: { status_code: 1000, status_msg: 'unknown error' } },
    });
    const unknown = await runJob(await service(), 'A red kite over a field.');
    expect(unknown.job.error).toMatch(
      /Segment 1 failed: minimax: vendor outcome unknown: the create call answered base_resp\.status_code 1000/,
    );
    expect(submissions()).toHaveLength(2);
  });

  it('retries HTTP 429 with Retry-After, 5xx and the in-body rate limit', async () => {
    minimax.script('/v1/video_generation', {
      status: 429,
      body: { base_resp: { status_code: 1002, status_msg: 'rate limit' } },
      headers: { 'retry-after': '0' },
    });
    minimax.script('/v1/query/video_generation', { status: 503, body: {} });
    minimax.rateLimitedSubmissions = 1;
    const { job, lines } = await runJob(await service(), 'A red kite over a field.');
    expect(job.status).toBe('finished');
    expect(lines.some((l) => /minimax: HTTP 429.*retrying/.test(l))).toBe(true);
    expect(lines.some((l) => /minimax: HTTP 503.*retrying/.test(l))).toBe(true);
    expect(lines.some((l) => /rate limit exceeded\(RPM\).*retrying/.test(l))).toBe(true);
  });

  it('gives up on a stuck task at the deadline, and stops polling when the job is canceled', async () => {
    minimax.outcomes.push('stuck');
    const timedOut = await runJob(await service({}, { timeout: 0.4 }), 'A red kite over a field.');
    expect(timedOut.job.error).toMatch(/did not finish before remote_api_settings\.timeout/);
    // No cancel exists at MiniMax: the job log names the task that keeps running and what it may bill.
    expect(
      timedOut.lines.some((l) =>
        /minimax: task [\w-]+ cannot be stopped \(the vendor documents no cancel\) and keeps running; it may still bill/.test(
          l,
        ),
      ),
    ).toBe(true);

    minimax.outcomes.push('stuck');
    const svc = await service();
    const before = minimax.tasks.size;
    const id = await submit(svc, 'A red kite over a field.');
    // This job's own task (the timed-out job's stuck task is in the map too).
    await waitFor(
      async () => [...minimax.tasks.values()].slice(before).some((t) => t.outcome === 'stuck' && t.polls >= 5),
      { what: 'polling' },
    );
    expect(await cancelJob(svc, id)).toBe(200);
    expect((await waitForEnd(svc, id)).status).toBe('canceled');
    const task = [...minimax.tasks.values()].at(-1)!;
    const polls = task.polls;
    // MiniMax has no cancel endpoint: the proof is that polling stopped.
    await new Promise((r) => setTimeout(r, 200));
    expect(task.polls - polls).toBeLessThanOrEqual(1);
    await waitFor(
      async () => (await jobLog(svc, id)).some((l) => l.includes(`minimax: task ${task.id} cannot be stopped`)),
      { what: 'the cannot-be-stopped line' },
    );
  });

  it('finishes through a slow clip body, and retries a truncated download and a 503', async () => {
    minimax.downloadFaults.push('slow', 'truncated', 'unavailable');
    const svc = await service();
    const { id, job, lines } = await runJob(svc);
    expect(job.status).toBe('finished');
    expect(lines.some((l) => /was truncated/.test(l))).toBe(true);
    expect(lines.some((l) => /answered HTTP 503/.test(l))).toBe(true);
    expect((await probeArtifact(svc, id)).codec).toBe('h264');
  });

  it('re-attaches to a recorded task by its id without creating another (resume), and a task MiniMax no longer knows is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ttv-minimax-resume-'));
    try {
      const config = configSchema.parse({
        minimax: { api_key: KEY, base_url: `${minimax.url}/v1`, model: 'MiniMax-Hailuo-2.3' },
        remote_api_settings: FAST_REMOTE,
      });
      const generator = new MinimaxVideoGenerator(config.minimax, remoteSettings(config));
      const request = { prompt: 'A red kite.', durationSeconds: 6, outputPath: join(dir, 'first.mp4'), segment: 1 };
      const { task } = await generateRecording(generator, request);
      expect(task).toMatchObject({
        backend: 'minimax',
        model: 'MiniMax-Hailuo-2.3',
        handles: { protocol: 'minimax-v1' },
      });
      const lines: string[] = [];
      const again = await resumeRecorded(generator, task, { ...request, outputPath: join(dir, 'again.mp4') }, (l) =>
        lines.push(l),
      );
      expect((await stat(again.path)).size).toBeGreaterThan(1000);
      expect(minimax.createCount).toBe(1);
      expect(submissions()).toHaveLength(1);
      expect(lines.some((l) => l.includes(`minimax: re-attached to task ${task.taskId}`))).toBe(true);
      await expect(resumeRecorded(generator, { ...task, taskId: '424242' }, request)).rejects.toBeInstanceOf(
        TaskGoneError,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
