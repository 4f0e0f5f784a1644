// Several API processes and workers on one PostgreSQL schema behave as on Redis: two `ttv serve
// --no-worker` processes and two `ttv worker` processes on a cluster this file owns. A job submitted
// through one API is followed over SSE on the other to its finished event; a running job canceled
// through the other API stops on whichever worker runs it (its ffmpeg killed, the status stays
// canceled); the read rate limits per client and per key are one budget across both APIs; and each
// job's terminal webhook is acknowledged once, though both APIs dispatch and the first attempts fail.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allStarted, type TtvProcess } from '../support/ttv-process.js';
import { postgresTtvFixture, type TtvSetup } from '../support/postgres-ttv-fixture.js';
import { waitFor, waitForProgress } from '../support/wait-for.js';
import { readSse } from '../support/sse.js';
import { createKey } from '../support/api-keys.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { jobLogs, jobOf, submitJob } from '../support/job-audit.js';
import { pidsMentioning } from '../support/process-gone.js';

const fx = postgresTtvFixture('pg_multi');
const SECRET = `whsec_${Buffer.from('pg-multi-process-webhook-secret!').toString('base64')}`;
/** The test's own polling must never meet the limits (they are tested on their own below). */
const NO_LIMITS = 'security: { rate_limit_per_minute: 100000, read_rate_limit_per_minute: 100000 }';
const FAST = ['segment_duration_seconds: 0.5', 'procedural: { width: 160, height: 90, fps: 12, max_segments: 1 }'];

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver(SECRET);
});
afterAll(async () => {
  await receiver?.close();
});

interface Group {
  setup: TtvSetup;
  apis: [TtvProcess, TtvProcess];
  workers: TtvProcess[];
}

/** Two API processes (ready: their first store reads done) and `workers` workers on one schema. */
async function group(workers: number, yaml: string[]): Promise<Group> {
  const setup = await fx.setup(yaml);
  const apis = await allStarted([setup.start('api'), setup.start('api')]);
  const ws = await allStarted(Array.from({ length: workers }, () => setup.start('worker')));
  for (const api of apis) {
    await waitFor(async () => ((await fetch(`${api.url}/readyz`)).status === 200 ? true : null), {
      timeoutMs: 60_000,
      what: `${api.url}/readyz`,
    });
  }
  return { setup, apis: apis as [TtvProcess, TtvProcess], workers: ws };
}

describe('two API processes and two workers on one PostgreSQL schema', () => {
  it('follows over SSE on API B a job submitted through API A, live, to its finished event', async () => {
    const g = await group(2, [
      ...FAST.slice(0, 1),
      // Long enough that the stream is certainly open before the job ends: it must follow, not replay.
      'procedural: { width: 160, height: 90, fps: 12, max_segments: 1, simulated_latency_seconds: 2 }',
      NO_LIMITS,
    ]);
    const [a, b] = g.apis;
    const id = await submitJob(a.url, 'A lighthouse blinks.');
    let firstEventAt = 0;
    const stream = await readSse(`${b.url}/v1/jobs/${id}/events`, {
      stop: (events) => {
        if (events.length === 1) firstEventAt = Date.now();
        return false;
      },
    });
    expect(stream.status).toBe(200);
    expect(stream.ended).toBe(true);
    expect(stream.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data).status)).toEqual([
      'queued',
      'started',
      'progress',
      'finished',
    ]);
    expect(
      stream.events.some((e) => e.event === 'log' && JSON.parse(e.data).line.includes('Video generation completed')),
    ).toBe(true);
    const finished = await jobOf(a.url, id);
    expect(finished.status).toBe('finished');
    // B was streaming before the worker (another process) finished the job: it followed the change.
    expect(firstEventAt).toBeGreaterThan(0);
    expect(firstEventAt).toBeLessThan(Date.parse(String(finished.finished_at)));
  }, 180_000);

  it('cancels through API B a job running on either worker: its ffmpeg is killed and the status stays canceled', async () => {
    const g = await group(2, [
      'segment_duration_seconds: 40',
      'procedural: { width: 1280, height: 720, fps: 30, max_segments: 1 }',
      NO_LIMITS,
    ]);
    const [a, b] = g.apis;
    const id = await submitJob(a.url, 'A long single shot.');
    await waitFor(async () => (pidsMentioning(id).length > 0 ? true : null), {
      timeoutMs: 30_000,
      what: 'ffmpeg in a worker',
    });
    // Which worker holds it, from its start log line (the worker id is what `ttv worker` printed).
    const started = (await jobLogs(a.url, id)).find((l) => l.includes('Video generation started (attempt 1,'));
    const holder = /worker ([^)]+)\)/.exec(started ?? '')?.[1];
    expect(g.workers.map((w) => w.url)).toContain(holder);
    const res = await fetch(`${b.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    await waitFor(async () => (pidsMentioning(id).length === 0 ? true : null), {
      timeoutMs: 20_000,
      what: 'ffmpeg to be killed',
    });
    await waitFor(
      async () =>
        (await readdir(join(g.setup.dataDir, 'tmp')).catch(() => [])).some((d) => d.includes(id)) ? null : true,
      { timeoutMs: 20_000, what: "the job's scratch dir to be removed" },
    );
    expect((await jobOf(a.url, id)).status).toBe('canceled');
    await waitFor(
      async () => ((await jobLogs(b.url, id)).some((l) => l.includes('Job cancelled during processing')) ? true : null),
      { timeoutMs: 20_000, what: "the worker's cancel log line" },
    );
    expect((await jobOf(a.url, id)).status).toBe('canceled');
    expect((await jobOf(b.url, id)).status).toBe('canceled');
    // The cancel ended the job, not the worker that ran it.
    expect(g.workers.every((w) => w.child.exitCode === null)).toBe(true);
  }, 180_000);

  it('shares the read rate limit of a client, and of a key, between the two API processes', async () => {
    // One worker: /readyz (how the group waits for both APIs) answers 200 only with a live worker.
    const g = await group(1, ['security: { rate_limit_per_minute: 100000, read_rate_limit_per_minute: 6 }']);
    const [a, b] = g.apis;
    const read = (url: string, headers: Record<string, string> = {}) => fetch(`${url}/v1/jobs`, { headers });
    // One client (127.0.0.1, no key), alternately on A and B: one budget of 6 that both count down.
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 6; i += 1) {
      const res = await read(g.apis[i % 2]!.url);
      expect(res.status).toBe(200);
      remaining.push(res.headers.get('x-ratelimit-remaining'));
    }
    expect(remaining).toEqual(['5', '4', '3', '2', '1', '0']);
    for (const api of [a, b]) {
      const refused = await read(api.url);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await refused.json()).toMatchObject({ error: 'RateLimitExceeded', details: { limit: 6 } });
    }
    // A key's own rate_limit (4) is counted under the key, also across both processes.
    const key = await createKey(g.setup.args, 'pg-multi', ['--rate-limit', '4']);
    const auth = { authorization: `Bearer ${key.secret}` };
    const keyed: (string | null)[] = [];
    for (let i = 0; i < 4; i += 1) {
      const res = await read(g.apis[(i + 1) % 2]!.url, auth);
      expect(res.status).toBe(200);
      keyed.push(res.headers.get('x-ratelimit-remaining'));
    }
    expect(keyed).toEqual(['3', '2', '1', '0']);
    for (const api of [a, b]) {
      const refused = await read(api.url, auth);
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ error: 'RateLimitExceeded', details: { limit: 4 } });
    }
  }, 180_000);

  it("delivers each job's terminal webhook once, with both API processes dispatching and retrying", async () => {
    const g = await group(2, [
      ...FAST,
      NO_LIMITS,
      'worker: { concurrency: 2 }',
      `webhooks: { endpoints: [{ url: "${receiver.url}/hooks", secret: "${SECRET}" }], events: [job.finished, job.canceled], retry_base_seconds: 0.1, max_attempts: 20, lease_seconds: 2 }`,
    ]);
    receiver.deliveries.length = 0;
    // The first attempt of every message is refused: retries happen while both processes run.
    const seen = new Set<string>();
    receiver.answer = (d) => {
      if (seen.has(d.webhookId)) return 200;
      seen.add(d.webhookId);
      return 500;
    };
    const [a, b] = g.apis;
    const ids: string[] = [];
    for (let i = 0; i < 8; i += 1) ids.push(await submitJob(g.apis[i % 2]!.url, `Frame ${i} glows.`));
    // One more, canceled while queued or running: its job.canceled is a terminal webhook too.
    const canceled = await submitJob(a.url, 'Canceled at once.');
    expect((await fetch(`${b.url}/v1/jobs/${canceled}/cancel`, { method: 'POST' })).status).toBe(200);
    const all = [...ids, canceled];
    const acked = () => receiver.deliveries.filter((d) => d.status === 200);
    await waitForProgress(
      async () => {
        const done = new Set(acked().map((d) => d.jobId)).size;
        return { done: all.every((id) => acked().some((d) => d.jobId === id)), progress: done };
      },
      { what: 'a terminal webhook acknowledged for every job' },
    );
    // A graceful stop of both: anything in flight lands or is abandoned before counting.
    await Promise.all(g.apis.map((api) => api.kill('SIGTERM')));
    for (const id of all) {
      const mine = receiver.deliveries.filter((d) => d.jobId === id);
      const ok = mine.filter((d) => d.status === 200);
      expect(ok, `${id}: ${mine.map((d) => `${d.type}/${d.status}`).join(' ')}`).toHaveLength(1);
      expect(ok[0]!.type).toBe(id === canceled ? 'job.canceled' : 'job.finished');
      expect(ok[0]!.verified).not.toBeNull();
      // Every attempt was the one message (the refused first one retried under its webhook-id).
      expect(new Set(mine.map((d) => d.webhookId)).size).toBe(1);
      expect(mine.some((d) => d.status === 500)).toBe(true);
    }
    receiver.answer = () => 200;
  }, 180_000);
});
