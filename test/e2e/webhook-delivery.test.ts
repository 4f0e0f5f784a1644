// Durable webhook delivery with real processes: a job.finished that the receiver refuses survives a
// SIGKILL of the process that holds it and arrives after the restart (or from another API process)
// under the same webhook-id with the same (verifying) body; with two API processes on one Redis (or one
// PostgreSQL schema), every event arrives exactly once per endpoint.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { allStarted, startTtv, type TtvProcess } from '../support/ttv-process.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.js';
import { waitFor, waitForProgress } from '../support/wait-for.js';
import { readSse } from '../support/sse.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from '../support/postgres.js';
import { submitJob } from '../support/job-audit.js';

const SECRET = `whsec_${Buffer.from('durable-webhooks-test-secret-32b').toString('base64')}`;
const FAST = ['segment_duration_seconds: 0.5', 'procedural: { width: 160, height: 90, fps: 12, max_segments: 1 }'];

let redis: RedisServer;
let receiver: WebhookReceiver;
const procs: TtvProcess[] = [];
const dirs: string[] = [];
/** PostgreSQL schemas (in the machine's server) made by a test, dropped after it. */
const schemas: TestSchema[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  receiver = await startWebhookReceiver(SECRET);
});
afterAll(async () => {
  await redis?.stop();
  await receiver?.close();
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  await Promise.all(schemas.splice(0).map((s) => s.drop()));
  receiver.deliveries.length = 0;
  receiver.answer = () => 200;
});

async function setup(yaml: string[]): Promise<string[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ttv-hooks-'));
  dirs.push(dataDir);
  const configFile = join(dataDir, 'ttv.yaml');
  await writeFile(configFile, [...FAST, ...yaml, ''].join('\n'));
  return ['--config', configFile, '--data-dir', dataDir];
}

/** The store line of a shared store: a fresh Redis key prefix or PostgreSQL schema. */
async function storeLine(backend: 'redis' | 'postgres'): Promise<string> {
  if (backend === 'redis') return `redis: { url: "${redis.url}", key_prefix: "ttv-hooks-${randomUUID().slice(0, 8)}" }`;
  await assertPostgresReachable();
  const schema = testPostgresConfig();
  schemas.push(schema);
  return `postgres: { url: "${schema.config.url}", schema: "${schema.config.schema}" }`;
}

async function start(args: string[]): Promise<TtvProcess> {
  const p = await startTtv(args);
  procs.push(p);
  return p;
}

describe.each([
  { backend: 'sqlite', next: 'the restarted process' },
  { backend: 'redis', next: 'the restarted process' },
  { backend: 'redis', next: 'another API process' },
  { backend: 'postgres', next: 'the restarted process' },
  { backend: 'postgres', next: 'another API process' },
] as const)('a refused job.finished survives SIGKILL ($backend)', ({ backend, next }) => {
  it(`is delivered by ${next} under the same webhook-id, with the same verifying body`, async () => {
    const common = await setup([
      ...(backend === 'sqlite' ? [] : [await storeLine(backend)]),
      `webhooks: { endpoints: [{ url: "${receiver.url}/hooks", secret: "${SECRET}" }], events: [job.finished], retry_base_seconds: 0.1, max_attempts: 20, lease_seconds: 2 }`,
    ]);
    let refuse = true;
    receiver.answer = () => (refuse ? 500 : 200);
    const first = await start(['serve', '--port', '0', ...common]);
    const id = await submitJob(first.url, 'A lantern sways.');
    // Refused at least twice: the delivery is held (and retried) by this process.
    await waitFor(
      async () => receiver.deliveries.filter((d) => d.jobId === id && d.status === 500).length >= 2 || null,
      { timeoutMs: 60_000, what: 'refused job.finished attempts' },
    );
    await first.kill('SIGKILL');
    const refused = receiver.deliveries.filter((d) => d.jobId === id);
    expect(new Set(refused.map((d) => d.webhookId)).size).toBe(1);
    expect(refused.every((d) => d.type === 'job.finished' && d.verified !== null)).toBe(true);

    refuse = false;
    // Started only now, so the delivery was certainly held by the killed process.
    const second = await start([
      'serve',
      ...(next === 'another API process' ? ['--no-worker'] : []),
      '--port',
      '0',
      ...common,
    ]);
    const accepted = await waitFor(async () => receiver.deliveries.find((d) => d.jobId === id && d.status === 200), {
      timeoutMs: 60_000,
      what: 'job.finished after the restart',
    });
    expect(accepted.webhookId).toBe(refused[0]!.webhookId);
    expect(accepted.body).toBe(refused[0]!.body);
    const payload = accepted.verified as {
      type: string;
      timestamp: string;
      data: { id: string; status: string; artifact_uri: string | null };
    };
    expect(payload.type).toBe('job.finished');
    expect(payload.data.id).toBe(id);
    expect(payload.data.status).toBe('finished');
    expect(payload.data.artifact_uri).not.toBeNull();
    const lines = await waitFor(async () => {
      const { lines: l } = (await (await fetch(`${second.url}/v1/jobs/${id}/logs?tail=0`)).json()) as {
        lines: string[];
      };
      return l.some((x) => /Webhook job\.finished delivered to .* HTTP 200/.test(x)) ? l : null;
    });
    expect(lines.some((l) => /Webhook job\.finished to .* failed \(attempt 1, HTTP 500\); retrying/.test(l))).toBe(
      true,
    );
    // Acknowledged once: a graceful stop delivers nothing more.
    await second.kill('SIGTERM');
    expect(receiver.deliveries.filter((d) => d.jobId === id && d.status === 200)).toHaveLength(1);
  }, 180_000);
});

describe('a refused job.started held across a restart', () => {
  it('is sent again with its first body, though the job has finished since', async () => {
    const common = await setup([
      `webhooks: { endpoints: [{ url: "${receiver.url}/hooks", secret: "${SECRET}" }], events: [job.started], retry_base_seconds: 0.1, max_attempts: 20, lease_seconds: 2 }`,
    ]);
    let refuse = true;
    receiver.answer = () => (refuse ? 500 : 200);
    const first = await start(['serve', '--port', '0', ...common]);
    const id = await submitJob(first.url, 'A kettle hums.');
    await waitFor(
      async () => {
        const job = (await (await fetch(`${first.url}/v1/jobs/${id}`)).json()) as { status: string };
        return job.status === 'finished' && receiver.deliveries.some((d) => d.jobId === id && d.status === 500)
          ? true
          : null;
      },
      { timeoutMs: 60_000, what: 'a finished job with a refused job.started' },
    );
    await first.kill('SIGKILL');
    const refused = receiver.deliveries.find((d) => d.jobId === id)!;
    const before = refused.verified as { data: { status: string; finished_at: string | null } };
    expect(before.data.status).toBe('started');
    expect(before.data.finished_at).toBeNull();

    refuse = false;
    const second = await start(['serve', '--port', '0', ...common]);
    const accepted = await waitFor(async () => receiver.deliveries.find((d) => d.jobId === id && d.status === 200), {
      timeoutMs: 60_000,
      what: 'job.started after the restart',
    });
    expect(accepted.webhookId).toBe(refused.webhookId);
    expect(accepted.body).toBe(refused.body);
    const now = (await (await fetch(`${second.url}/v1/jobs/${id}`)).json()) as { finished_at: string | null };
    expect(now.finished_at).not.toBeNull();
  }, 180_000);
});

describe.each(['redis', 'postgres'] as const)('two API processes on one store (%s)', (backend) => {
  it('deliver every event exactly once per endpoint over 30 jobs', async () => {
    const common = await setup([
      await storeLine(backend),
      'worker: { concurrency: 3 }',
      `webhooks: { endpoints: [{ url: "${receiver.url}/a", secret: "${SECRET}" }, { url: "${receiver.url}/b", secret: "${SECRET}" }], retry_base_seconds: 0.05, progress_interval_seconds: 0, lease_seconds: 3 }`,
    ]);
    // Every fifth message is refused once, so that retries happen while both processes run.
    const seen = new Set<string>();
    let n = 0;
    receiver.answer = (d) => {
      if (seen.has(d.webhookId)) return 200;
      seen.add(d.webhookId);
      n += 1;
      return n % 5 === 0 ? 500 : 200;
    };
    const apis = await allStarted([
      start(['serve', '--no-worker', '--port', '0', ...common]),
      start(['serve', '--no-worker', '--port', '0', ...common]),
    ]);
    await allStarted([start(['worker', ...common]), start(['worker', ...common])]);
    // Listening is not reachable: on a cold start each API's first Redis commands can outlast its
    // request timeout (an honest 503); submissions start once both say ready.
    for (const api of apis) {
      await waitFor(async () => ((await fetch(`${api.url}/readyz`)).status === 200 ? true : null), {
        timeoutMs: 60_000,
        what: `${api.url}/readyz`,
      });
    }
    const ids: string[] = [];
    for (let i = 0; i < 30; i += 1) ids.push(await submitJob(apis[i % 2]!.url, `Frame ${i} glows.`));
    const finishedOn = (path: string) =>
      new Set(
        receiver.deliveries
          .filter((d) => d.path === path && d.type === 'job.finished' && d.status === 200)
          .map((d) => d.jobId),
      );
    await waitForProgress(
      async () => {
        const done = Math.min(finishedOn('/a').size, finishedOn('/b').size);
        return { done: done === ids.length, progress: done };
      },
      { what: 'job.finished on both endpoints' },
    );
    // What each job's journal (its SSE replay) says should have been sent: every started status and,
    // with progress_interval_seconds 0, every progress entry.
    const expected = new Map<string, string[]>();
    for (const id of ids) {
      const { events } = await readSse(`${apis[0]!.url}/v1/jobs/${id}/events`);
      const types: string[] = [];
      for (const e of events) {
        const data = JSON.parse(e.data) as { status?: string };
        if (e.event === 'status' && data.status === 'started') types.push('job.started');
        if (e.event === 'status' && data.status === 'finished') types.push('job.finished');
        if (e.event === 'progress') types.push('job.progress');
      }
      expected.set(id, types);
    }
    // A graceful stop of both: anything still in flight lands or is abandoned before counting.
    await Promise.all(apis.map((a) => a.kill('SIGTERM')));

    for (const path of ['/a', '/b']) {
      const acked = receiver.deliveries.filter((d) => d.path === path && d.status === 200);
      // No message acknowledged twice (one process delivered each), every one verified.
      expect(acked.length).toBe(new Set(acked.map((d) => d.webhookId)).size);
      expect(acked.every((d) => d.verified !== null)).toBe(true);
      for (const id of ids) {
        const mine = acked.filter((d) => d.jobId === id);
        // Every event of the job arrived, once, in journal order.
        expect(
          mine.map((d) => d.type),
          `${path} ${id}`,
        ).toEqual(expected.get(id));
        expect(
          mine.filter((d) => d.type === 'job.started'),
          `${path} ${id} started`,
        ).toHaveLength(1);
        expect(
          mine.filter((d) => d.type === 'job.finished'),
          `${path} ${id} finished`,
        ).toHaveLength(1);
        expect(mine.filter((d) => d.type === 'job.progress').length).toBeGreaterThan(0);
        expect(mine[0]!.type).toBe('job.started');
        expect(mine[mine.length - 1]!.type).toBe('job.finished');
      }
    }
    // Both endpoints heard the same events (per job and type).
    const tally = (path: string) =>
      receiver.deliveries
        .filter((d) => d.path === path && d.status === 200)
        .map((d) => `${d.jobId} ${d.type}`)
        .sort();
    expect(tally('/a')).toEqual(tally('/b'));
    // The refused ones were retried under the same webhook-id.
    const refused = receiver.deliveries.filter((d) => d.status === 500);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused)
      expect(receiver.deliveries.some((d) => d.webhookId === r.webhookId && d.status === 200)).toBe(true);
  }, 600_000);
});
