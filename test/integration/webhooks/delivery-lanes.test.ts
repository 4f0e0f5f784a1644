// Fair webhook delivery with real servers on loopback: 300 jobs point their own webhook at a tarpit
// (accepts every request, never answers) on 127.0.0.2; another job's webhook on 127.0.0.1 is still
// delivered while the tarpit holds its connections: by ordering, not by a clock. The tarpit never
// has more than webhooks.host_concurrency requests open.
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { waitFor, waitForProgress } from '../../support/wait-for.js';

const TARPIT_JOBS = 300;

let svc: TestService;
let tarpit: Server;
let receiver: Server;
const tarpitSockets = new Set<Socket>();
/** Requests the tarpit has received (it answers none). */
let tarpitHeld = 0;
/** Tarpit connections that ended (the server gave up on one: a timeout or a give-up). */
let tarpitClosed = 0;
let tarpitOpenAtMost = 0;
const received: {
  jobId: string;
  type: string;
  tarpitHeldThen: number;
  tarpitOpenThen: number;
  tarpitClosedThen: number;
}[] = [];

async function listen(server: Server, host: string): Promise<string> {
  server.listen(0, host);
  await once(server, 'listening');
  return `http://${host}:${(server.address() as { port: number }).port}`;
}

beforeAll(async () => {
  tarpit = createServer((req) => {
    tarpitHeld += 1;
    req.resume();
    tarpitOpenAtMost = Math.max(tarpitOpenAtMost, tarpitSockets.size);
  });
  tarpit.on('connection', (s: Socket) => {
    tarpitSockets.add(s);
    s.once('close', () => {
      tarpitSockets.delete(s);
      tarpitClosed += 1;
    });
  });
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const payload = JSON.parse(body) as { type: string; data: { id: string } };
      received.push({
        jobId: payload.data.id,
        type: payload.type,
        tarpitHeldThen: tarpitHeld,
        tarpitOpenThen: tarpitSockets.size,
        tarpitClosedThen: tarpitClosed,
      });
      res.writeHead(204).end();
    });
  });
  svc = await startTestService(
    {
      server: { job_options: ['webhook'] },
      security: { rate_limit_per_minute: 100_000 },
      // The tarpit's attempts would end only after two minutes: far past this test.
      webhooks: { allow_private_urls: true, timeout_seconds: 120, max_attempts: 1, host_concurrency: 2 },
    },
    { worker: false },
  );
});
afterAll(async () => {
  await svc?.close();
  for (const s of tarpitSockets) s.destroy();
  tarpit?.close();
  receiver?.closeAllConnections();
  receiver?.close();
});

async function canceledJobWithHook(url: string): Promise<string> {
  const res = await postJob(svc.url, { prompt: 'A hook.', options: { webhook: { url, events: ['job.canceled'] } } });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  expect((await fetch(`${svc.url}/v1/jobs/${id}/cancel`, { method: 'POST' })).status).toBe(200);
  return id;
}

describe('webhook lanes per endpoint host', () => {
  it("a tarpit endpoint holds up only its own deliveries: another host's arrives while it still holds", async () => {
    const tarpitUrl = `${await listen(tarpit, '127.0.0.2')}/hook`;
    const receiverUrl = `${await listen(receiver, '127.0.0.1')}/hook`;
    let submitted = 0;
    for (; submitted < TARPIT_JOBS; submitted += 1) await canceledJobWithHook(tarpitUrl);
    // The tarpit is holding deliveries (and the rest of its 300 are queued behind them).
    await waitForProgress(async () => ({ done: tarpitHeld >= 2, progress: tarpitHeld }), {
      what: 'the tarpit to hold deliveries',
    });

    const other = await canceledJobWithHook(receiverUrl);
    const delivered = await waitFor(async () => received.find((r) => r.jobId === other), {
      timeoutMs: 60_000,
      what: "the other host's job.canceled",
    });
    expect(delivered.type).toBe('job.canceled');
    // Arrived while the tarpit still held its first requests, and had taken no more than its lane
    // allows: none of the tarpit's deliveries ended (timed out or was given up) first.
    expect(delivered.tarpitClosedThen).toBe(0);
    expect(delivered.tarpitOpenThen).toBe(2);
    expect(delivered.tarpitHeldThen).toBe(2);
    expect(tarpitOpenAtMost).toBeLessThanOrEqual(2);
  });
});
