// MiniMax's Video Generation V2 (the H3 models) through whole jobs on the API against the fake:
// the content[] body with first/last frame roles, the concrete ratio of a text-only request and
// "adaptive" with frames, required resolution and duration, polling queued → running → succeeded
// and the download from task.content.url, failures and refusals as V2 reports them (task.error,
// HTTP 4xx with error.type), and DELETE for a task still queued when the job is canceled.
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
import { minimaxV2BodyIssues } from '../../fakes/minimax/minimax-v2-rules.js';
import { startTestService, type TestService } from '../../support/test-service.js';
import { FAST_REMOTE, cancelJob, probeArtifact, runJob, submit, waitForEnd } from '../../support/backend-jobs.js';
import { waitFor } from '../../support/wait-for.js';

const KEY = 'mm-v2-test-key-0123456789';
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
  minimaxSection: Record<string, unknown> = {},
  remote: Record<string, unknown> = {},
): Promise<TestService> {
  const svc = await startTestService({
    default_backend: 'minimax',
    segment_duration_seconds: 5,
    minimax: { api_key: KEY, base_url: `${minimax.url}/v1`, model: 'MiniMax-H3', max_duration: 15, ...minimaxSection },
    remote_api_settings: { ...FAST_REMOTE, ...remote },
    ...extra,
  });
  services.push(svc);
  return svc;
}

const creates = () => minimax.requests.filter((r) => r.method === 'POST' && r.path === '/v2/video_generation');
const bodies = () =>
  creates().map(
    (r) =>
      JSON.parse(r.body.toString()) as {
        model: string;
        content: { type: string; role?: string; text?: string; image_url?: { url: string } }[];
        resolution: string;
        duration: number;
        ratio?: string;
      },
  );

describe('MiniMax V2 (H3)', () => {
  it('runs a 3-segment keyframe job on MiniMax-H3: content[] with first/last frames, adaptive ratio, the clip from task.content.url', async () => {
    const svc = await service({ generation_mode: 'keyframe' });
    const { id, job, lines } = await runJob(svc, 'A lighthouse at dawn. Waves on the rocks. Gulls over the bay.');
    expect(job.status).toBe('finished');
    expect(bodies()).toHaveLength(3);
    for (const body of bodies()) {
      expect(body).toMatchObject({ model: 'MiniMax-H3', resolution: '768P', duration: 5, ratio: 'adaptive' });
      expect(body.content.map((c) => [c.type, c.role])).toEqual([
        ['text', undefined],
        ['image_url', 'first_frame'],
        ['image_url', 'last_frame'],
      ]);
      expect(body.content[1]!.image_url!.url).toMatch(/^data:image\/png;base64,/);
      // ttv polls: no callback_url is sent.
      expect(body).not.toHaveProperty('callback_url');
    }
    // V2 has no file step: no /v1 call at all.
    expect(minimax.requests.some((r) => r.path.startsWith('/v1/'))).toBe(false);
    expect(
      minimax.requests.filter((r) => r.path.startsWith('/v2/query/video_generation/')).length,
    ).toBeGreaterThanOrEqual(3 * 4);
    expect(job.estimated_cost_usd).toBeCloseTo(3 * 5 * 0.08, 5);
    expect(lines.some((l) => /minimax: task \d+ created \(MiniMax-H3, 768P, adaptive, 5 s\)/.test(l))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/cdn-secret/);
    const probe = await probeArtifact(svc, id);
    expect(probe.codec).toBe('h264');
    expect(probe.durationSeconds).toBeGreaterThan(2.5);
  });

  it('a text-only segment gets a concrete ratio (never adaptive), and MiniMax-H3-Max its own resolution', async () => {
    const svc = await service({ video_aspect_ratio: '9:16' }, { model: 'MiniMax-H3-Max' });
    const { job } = await runJob(svc, 'A red kite over a field.');
    expect(job.status).toBe('finished');
    const [first] = bodies();
    expect(first).toMatchObject({ model: 'MiniMax-H3-Max', resolution: '768P', duration: 5, ratio: '9:16' });
    expect(first!.content).toEqual([{ type: 'text', text: expect.any(String) }]);
    minimax.reset();
    const low = await service({}, { model: 'MiniMax-H3-Max', resolution: '480P' });
    expect((await runJob(low, 'A red kite over a field.')).job.status).toBe('finished');
    expect(bodies()[0]).toMatchObject({ resolution: '480P', ratio: '16:9' });
  });

  it('refuses before any call what the row does not offer: 4 s (stricter than 4–15), 2K on H3-Max', async () => {
    await expect(service({ segment_duration_seconds: 4 })).rejects.toThrow(
      /MiniMax-H3 renders 5–15 \(whole seconds\) s clips, not 4 s/,
    );
    await expect(service({}, { model: 'MiniMax-H3-Max', resolution: '2K' })).rejects.toThrow(
      /MiniMax-H3-Max renders 768P, 480P, not 2K \(minimax\.resolution\)/,
    );
    expect(minimax.requests).toHaveLength(0);
  });

  it('a failed task ends the job with its error code; sensitive output is a refusal; cancelled and expired are terminal', async () => {
    minimax.outcomes.push('fail');
    const failed = await runJob(await service(), 'A red kite over a field.');
    expect(failed.job.status).toBe('failed');
    // Clients read ttv's sentence; MiniMax's own text and code are in the job log.
    expect(failed.job.error).toMatch(/The video vendor \(minimax\) failed to render segment 1\./);
    expect(failed.job.error).not.toMatch(/internal error|1024/);
    expect(failed.lines.join('\n')).toMatch(/task \d+ failed: internal error, code 1024/);
    const task = [...minimax.tasks.values()][0]!;
    expect(task.polls).toBe(minimax.pollsUntilDone + 1);

    minimax.outcomes.push('sensitive-output');
    const refused = await runJob(await service(), 'A red kite over a field.');
    expect(refused.job.error).toMatch(/The video vendor \(minimax\) refused segment 1: content policy\./);
    expect(refused.lines.join('\n')).toMatch(/output new_sensitive, code 1027/);

    minimax.outcomes.push('vendor-cancel', 'expired');
    const cancelled = await runJob(await service(), 'A red kite over a field.');
    expect(cancelled.job.error).toMatch(/The video vendor \(minimax\) failed to render segment 1\./);
    expect(cancelled.lines.join('\n')).toMatch(/was cancelled on MiniMax's side/);
    const expired = await runJob(await service(), 'A red kite over a field.');
    expect(expired.job.status).toBe('failed');
    expect(expired.lines.join('\n')).toMatch(/expired on MiniMax's side/);
  });

  it('HTTP errors as V2 sends them: a rejected key (401) not retried, sensitive input (422) refused, 429 retried', async () => {
    const wrong = await runJob(await service({}, { api_key: 'mm-wrong-key-000000000' }), 'A red kite over a field.');
    expect(wrong.job.status).toBe('failed');
    expect(wrong.job.error).toMatch(
      /minimax: task creation was refused for its key \(HTTP 401\); check minimax\.api_key/,
    );
    expect(wrong.lines.join('\n')).toMatch(/login fail.*\(1004\) \(HTTP 401, authorized_error\)/);
    expect(creates()).toHaveLength(1);
    minimax.reset();

    const sensitive = await runJob(await service(), 'A forbidden-topic scene.');
    expect(sensitive.job.error).toMatch(/refused segment 1: content policy/);
    expect(sensitive.lines.join('\n')).toMatch(
      /input new_sensitive.*\(1026\) \(HTTP 422, unprocessable_entity_error\)/,
    );
    expect(creates()).toHaveLength(1);
    minimax.reset();

    minimax.rateLimitedSubmissions = 1;
    const limited = await runJob(await service(), 'A red kite over a field.');
    expect(limited.job.status).toBe('finished');
    expect(creates()).toHaveLength(2);
    expect(limited.lines.some((l) => /minimax: HTTP 429 .*retrying/.test(l))).toBe(true);
  });

  it('cancels a task still queued with DELETE /v2/video_generation/{id} when the job is canceled', async () => {
    minimax.outcomes.push('stuck');
    const svc = await service();
    const id = await submit(svc, 'A red kite over a field.');
    await waitFor(async () => [...minimax.tasks.values()].some((t) => t.polls >= 2), { what: 'polling' });
    expect(await cancelJob(svc, id)).toBe(200);
    expect((await waitForEnd(svc, id)).status).toBe('canceled');
    await waitFor(async () => minimax.cancelledTaskIds.length === 1, { what: 'DELETE of the queued task' });
    expect(
      minimax.requests.some(
        (r) => r.method === 'DELETE' && r.path === `/v2/video_generation/${minimax.cancelledTaskIds[0]}`,
      ),
    ).toBe(true);
  });

  it('a running task past the deadline: the DELETE MiniMax refuses for running tasks is tried and logged', async () => {
    minimax.outcomes.push('stuck-running');
    const { job, lines } = await runJob(await service({}, {}, { timeout: 0.5 }), 'A red kite over a field.');
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/did not finish before remote_api_settings\.timeout/);
    expect(lines.some((l) => /minimax: cancel of task \d+ answered HTTP 400/.test(l))).toBe(true);
    expect(
      lines.some((l) =>
        /minimax: task \d+ cannot be stopped \(MiniMax cancels a task only while it is queued\) and keeps running; it may still bill/.test(
          l,
        ),
      ),
    ).toBe(true);
  });
});

describe('the MiniMax V2 fake refuses what MiniMax documents it refuses', () => {
  const text = { type: 'text', text: 'A kite.' };
  const frame = (role: string) => ({ type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' }, role });
  it.each([
    [{ model: 'MiniMax-H3', content: [text], resolution: '768P', duration: 5 }, /concrete ratio/],
    [{ model: 'MiniMax-H3', content: [text], resolution: '768P', duration: 5, ratio: 'adaptive' }, /concrete ratio/],
    [{ model: 'MiniMax-H3', content: [text], resolution: '1080P', duration: 5, ratio: '16:9' }, /resolution 1080P/],
    [{ model: 'MiniMax-H3', content: [text], resolution: '768P', duration: 16, ratio: '16:9' }, /integer from 4 to 15/],
    [
      { model: 'MiniMax-H3-Max', content: [text], resolution: '768P', duration: 4, ratio: '16:9' },
      /integer from 5 to 15/,
    ],
    [
      {
        model: 'MiniMax-H3',
        content: [text, frame('first_frame'), frame('reference_image')],
        resolution: '768P',
        duration: 5,
      },
      /cannot be used together/,
    ],
    [
      { model: 'MiniMax-H3-Max', content: [text, frame('reference_image')], resolution: '768P', duration: 5 },
      /takes no reference inputs/,
    ],
    [
      { model: 'MiniMax-H3', content: [text], resolution: '768P', duration: 5, ratio: '16:9', prompt: 'x' },
      /unknown field prompt/,
    ],
    [
      {
        model: 'MiniMax-H3',
        content: [{ type: 'text', text: 'x'.repeat(7001) }],
        resolution: '768P',
        duration: 5,
        ratio: '16:9',
      },
      /7000 characters/,
    ],
    [
      { model: 'MiniMax-Hailuo-2.3', content: [text], resolution: '768P', duration: 6, ratio: '16:9' },
      /not supported by video generation v2/,
    ],
  ])('%#', (body, issue) => {
    expect(minimaxV2BodyIssues(body).join('; ')).toMatch(issue);
  });
  it('accepts a first+last frame request with adaptive ratio', () => {
    expect(
      minimaxV2BodyIssues({
        model: 'MiniMax-H3',
        content: [text, frame('first_frame'), frame('last_frame')],
        resolution: '2K',
        duration: 15,
        ratio: 'adaptive',
      }),
    ).toEqual([]);
  });

  it('re-attaches to a recorded V2 task by its id without creating another (resume), and a task MiniMax no longer knows is gone', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ttv-minimax-v2-resume-'));
    try {
      const config = configSchema.parse({
        minimax: { api_key: KEY, base_url: `${minimax.url}/v1`, model: 'MiniMax-H3', max_duration: 15 },
        remote_api_settings: FAST_REMOTE,
      });
      const generator = new MinimaxVideoGenerator(config.minimax, remoteSettings(config));
      const request = {
        prompt: 'A red kite.',
        durationSeconds: 5,
        outputPath: join(dir, 'first.mp4'),
        segment: 1,
        aspectRatio: '16:9',
      };
      const { task } = await generateRecording(generator, request);
      expect(task).toMatchObject({ backend: 'minimax', model: 'MiniMax-H3', handles: { protocol: 'minimax-v2' } });
      const again = await resumeRecorded(generator, task, { ...request, outputPath: join(dir, 'again.mp4') });
      expect((await stat(again.path)).size).toBeGreaterThan(1000);
      expect(minimax.createCount).toBe(1);
      expect(creates()).toHaveLength(1);
      await expect(resumeRecorded(generator, { ...task, taskId: '400000000000999' }, request)).rejects.toBeInstanceOf(
        TaskGoneError,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
