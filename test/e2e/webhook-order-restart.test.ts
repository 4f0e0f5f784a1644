// Webhook order across an API kill -9, on real processes (API and worker apart, so jobs run on while
// the API is down): the receiver refuses every event of one job, which holds the dispatcher's stored
// cursor before it, while the other jobs' events (progress thinned by progress_interval_seconds) are
// accepted through to their job.finished. The API is killed with SIGKILL mid-run and started again:
// the new process reads the journal again from the held cursor. Per job, the receiver must see events
// in journal order, never an event it accepted sent again after a newer one, and nothing after the
// terminal event it accepted.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type Delivery, type WebhookReceiver } from '../support/webhook-receiver.js';
import { redisTtvFixture } from '../support/redis-ttv-fixture.js';
import { waitFor, waitForProgress } from '../support/wait-for.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from '../support/postgres.js';

const SECRET = `whsec_${Buffer.from('webhook-order-test-secret-32byte').toString('base64')}`;
const TERMINAL = new Set(['job.finished', 'job.failed', 'job.canceled']);
const RANK: Record<string, number> = {
  'job.started': 0,
  'job.progress': 1,
  'job.finished': 2,
  'job.failed': 2,
  'job.canceled': 2,
};

const fx = redisTtvFixture('hook-order');
let receiver: WebhookReceiver;
/** On PostgreSQL: the test's schema in the machine's server, dropped after the test. */
const schemas: TestSchema[] = [];
beforeAll(async () => {
  receiver = await startWebhookReceiver(SECRET);
});
afterAll(async () => {
  await receiver?.close();
});
afterEach(async () => {
  await Promise.all(schemas.splice(0).map((s) => s.drop()));
});

/** A postgres: line naming a fresh schema (dropped after the test) in the machine's server. */
function postgresLine(name: string): string {
  const schema = testPostgresConfig({ schema: name });
  schemas.push(schema);
  return `postgres: { url: "${schema.config.url}", schema: "${name}" }`;
}

/** Where an event stands in its job's journal, from its body: entry time, then kind, then progress. */
function orderKey(d: Delivery): [number, number, number] {
  const payload = d.verified as { timestamp: string; data: { progress: number } };
  return [Date.parse(payload.timestamp), RANK[d.type] ?? -1, payload.data.progress];
}
const before = (a: [number, number, number], b: [number, number, number]) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Checks one job's deliveries (in arrival order); returns a problem or null. */
function orderProblem(deliveries: Delivery[]): string | null {
  const accepted = new Set<string>();
  let newest: Delivery | null = null;
  for (const d of deliveries) {
    if (d.verified === null) return `unverified delivery ${d.webhookId}`;
    if (newest && TERMINAL.has(newest.type) && d.webhookId !== newest.webhookId)
      return `${d.type} (${d.webhookId}) after the accepted ${newest.type}`;
    if (newest && before(orderKey(d), orderKey(newest)) < 0)
      return `${d.type} at ${JSON.stringify(orderKey(d))} after the accepted ${newest.type} at ${JSON.stringify(orderKey(newest))}`;
    if (accepted.has(d.webhookId) && d.webhookId !== newest?.webhookId)
      return `${d.type} (${d.webhookId}) sent again after a newer event was accepted`;
    if (d.status >= 200 && d.status < 300) {
      accepted.add(d.webhookId);
      newest = d;
    }
  }
  return null;
}

describe.each(['redis', 'sqlite', 'postgres'] as const)('webhook order across an API SIGKILL (%s)', (backend) => {
  it('per job: journal order, and nothing after the accepted terminal event', async () => {
    if (backend === 'postgres') await assertPostgresReachable();
    const { args, prefix } = await fx.setup([
      'segment_duration_seconds: 0.5',
      'procedural: { width: 64, height: 36, fps: 12, max_segments: 3 }',
      'worker: { concurrency: 2, lease_seconds: 2, heartbeat_seconds: 0.5 }',
      `webhooks: { endpoints: [{ url: "${receiver.url}/hooks", secret: "${SECRET}" }], retry_base_seconds: 0.1, max_attempts: 20, lease_seconds: 2, progress_interval_seconds: 0.3 }`,
      'logging: { level: warn }',
    ]);
    // On SQLite the fixture's redis: line is dropped: the store is the data dir's database. On
    // PostgreSQL it becomes a postgres: line naming a schema of the test's own.
    const common =
      backend === 'redis' ? args : await storeArgs(args, backend === 'postgres' ? postgresLine(prefix) : null, backend);
    receiver.deliveries.length = 0;
    let holdId = '';
    receiver.answer = (d) => (d.jobId === holdId ? 500 : 200);
    const apiArgs = ['serve', '--no-worker', '--port', '0', ...common];
    let api = await fx.startTtv(apiArgs);
    await fx.startTtv(['worker', ...common]);
    // Listening is not reachable: a cold start's first store commands may outlast the request timeout.
    await waitFor(async () => ((await fetch(`${api.url}/readyz`)).status === 200 ? true : null), {
      timeoutMs: 60_000,
      what: 'ready',
    });
    const submit = async (prompt: string) => {
      const res = await fetch(`${api.url}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt }),
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as { id: string }).id;
    };
    const acceptedOf = (id: string, types: Set<string>) =>
      receiver.deliveries.some((d) => d.jobId === id && types.has(d.type) && d.status === 200);

    holdId = await submit('A held lantern.');
    const early: string[] = [];
    for (let i = 0; i < 5; i += 1) early.push(await submit(`Early frame ${i}.`));
    await waitForProgress(
      async () => {
        const done = early.filter((id) => acceptedOf(id, TERMINAL)).length;
        return { done: done === early.length, progress: done };
      },
      { what: "the early jobs' terminal events accepted while the cursor is held" },
    );
    expect(receiver.deliveries.some((d) => d.jobId === holdId && d.status === 500)).toBe(true);
    const late: string[] = [];
    for (let i = 0; i < 3; i += 1) late.push(await submit(`Late frame ${i}.`));
    await waitFor(async () => (late.some((id) => acceptedOf(id, new Set(['job.started']))) ? true : null), {
      timeoutMs: 60_000,
      what: 'a late job running',
    });

    await api.kill('SIGKILL');
    holdId = '';
    api = await fx.startTtv(apiArgs);
    const all = [...early, ...late];
    const held = receiver.deliveries.find((d) => d.status === 500)!.jobId;
    all.push(held);
    await waitForProgress(
      async () => {
        const done = all.filter((id) => acceptedOf(id, TERMINAL)).length;
        return { done: done === all.length, progress: done };
      },
      { what: "every job's terminal event accepted after the restart" },
    );
    await api.kill('SIGTERM'); // anything in flight lands or is abandoned before checking

    for (const id of all) {
      const mine = receiver.deliveries.filter((d) => d.jobId === id);
      expect(
        orderProblem(mine),
        `job ${id}: ${mine.map((d) => `${d.type}/${d.status}/${d.webhookId.slice(4, 10)}`).join(' ')}`,
      ).toBeNull();
      const ok = mine.filter((d) => d.status === 200);
      expect(ok[0]!.type).toBe('job.started');
      expect(new Set(ok.filter((d) => TERMINAL.has(d.type)).map((d) => d.webhookId)).size).toBe(1);
    }
    // The held job's refused events were delivered by the restarted process, from the held cursor.
    expect(receiver.deliveries.some((d) => d.jobId === held && d.type === 'job.started' && d.status === 200)).toBe(
      true,
    );
  }, 300_000);
});

/** The same config with its redis: line replaced by `line`, or dropped (an SQLite store in the data dir). */
async function storeArgs(args: string[], line: string | null, name: string): Promise<string[]> {
  const { readFile, writeFile } = await import('node:fs/promises');
  const file = args[args.indexOf('--config') + 1]!;
  const text = (await readFile(file, 'utf8'))
    .split('\n')
    .flatMap((l) => (l.startsWith('redis:') ? (line === null ? [] : [line]) : [l]))
    .join('\n');
  const copy = `${file}.${randomUUID().slice(0, 6)}.${name}.yaml`;
  await writeFile(copy, text);
  return ['--config', copy, ...args.slice(args.indexOf('--data-dir'))];
}
