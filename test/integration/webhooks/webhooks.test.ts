// Webhooks against a real local receiver that verifies Standard Webhooks signatures (with the
// official standardwebhooks package) and fails on
// purpose before it accepts.
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { waitFor } from '../../support/wait-for.js';

const SECRET = `whsec_${Buffer.from('a-webhook-secret-of-some-length!').toString('base64')}`;

interface Received {
  type: string;
  jobId: string;
  webhookId: string;
  verified: boolean;
  status: number;
}

let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
/** How many more job.finished deliveries to refuse with 500. */
let refuseFinished = 2;

// The official Standard Webhooks verifier (signature scheme, whsec_ key decoding, 5-minute tolerance),
// not the project's own signer read back.
const verifier = new Webhook(SECRET);
function verify(headers: Record<string, string | string[] | undefined>, body: string): boolean {
  try {
    verifier.verify(body, {
      'webhook-id': String(headers['webhook-id']),
      'webhook-timestamp': String(headers['webhook-timestamp']),
      'webhook-signature': String(headers['webhook-signature']),
    });
    return true;
  } catch {
    return false;
  }
}

let svc: TestService;
beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const payload = JSON.parse(body) as { type: string; data: { id: string } };
      const verified = verify(req.headers, body);
      let status = verified ? 200 : 401;
      if (verified && payload.type === 'job.finished' && refuseFinished > 0) {
        refuseFinished -= 1;
        status = 500;
      }
      // The same delivery with one byte changed must not verify (so `verified` can be false).
      const tamperedVerifies = verify(req.headers, body.replace(/.$/s, ' '));
      received.push({
        type: payload.type,
        jobId: payload.data.id,
        webhookId: String(req.headers['webhook-id']),
        verified: verified && !tamperedVerifies,
        status,
      });
      res.writeHead(status).end();
    });
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
  svc = await startTestService({
    webhooks: {
      endpoints: [{ url: receiverUrl, secret: SECRET }],
      retry_base_seconds: 0.05,
      progress_interval_seconds: 0,
      max_attempts: 4,
    },
  });
});
afterAll(async () => {
  await svc?.close();
  receiver?.close();
});

describe('webhooks', () => {
  it('delivers signed job events, retrying job.finished after the receiver fails twice', async () => {
    const { id } = (await (await postJob(svc.url, { prompt: 'Hooked. Twice.' })).json()) as { id: string };
    await waitFor(
      async () => (received.some((r) => r.jobId === id && r.type === 'job.finished' && r.status === 200) ? true : null),
      { timeoutMs: 20_000 },
    );
    const mine = received.filter((r) => r.jobId === id);
    expect(mine.every((r) => r.verified)).toBe(true);
    const types = mine.map((r) => r.type);
    expect(types[0]).toBe('job.started');
    expect(types).toContain('job.progress');
    const finished = mine.filter((r) => r.type === 'job.finished');
    expect(finished.map((r) => r.status)).toEqual([500, 500, 200]);
    // One message, retried: the webhook-id stays the same across attempts.
    expect(new Set(finished.map((r) => r.webhookId)).size).toBe(1);
    const lines = await waitFor(async () => {
      const { lines: l } = (await (await fetch(`${svc.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] };
      return l.some((x) => x.includes('Webhook job.finished delivered')) ? l : null;
    });
    expect(
      lines.filter((l) => /Webhook job\.finished to .* failed \(attempt [12], HTTP 500\); retrying/.test(l)),
    ).toHaveLength(2);
    expect(lines.some((l) => /Webhook job\.finished delivered to .* \(attempt 3, HTTP 200\)/.test(l))).toBe(true);
  });

  it('sends job.canceled when a job is canceled', async () => {
    const { id } = (await (await postJob(svc.url, { prompt: 'Cancel me.' })).json()) as { id: string };
    await fetch(`${svc.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    await waitFor(async () =>
      received.some((r) => r.jobId === id && r.type === 'job.canceled' && r.verified) ? true : null,
    );
  });

  it('an endpoint that is down holds up only its own deliveries', async () => {
    const mixed = await startTestService({
      webhooks: {
        endpoints: [
          { url: 'http://127.0.0.1:9/down', secret: SECRET },
          { url: receiverUrl, secret: SECRET },
        ],
        events: ['job.started', 'job.finished'],
        retry_base_seconds: 3600,
        max_attempts: 20,
      },
    });
    try {
      const ids: string[] = [];
      for (const prompt of ['First of two.', 'Second of two.'])
        ids.push(((await (await postJob(mixed.url, { prompt })).json()) as { id: string }).id);
      // Each job's job.started to the dead endpoint waits an hour for its retry; the live one hears everything.
      await waitFor(
        async () =>
          ids.every((id) => received.some((r) => r.jobId === id && r.type === 'job.finished' && r.status === 200))
            ? true
            : null,
        { timeoutMs: 30_000 },
      );
      for (const id of ids)
        expect(received.filter((r) => r.jobId === id).map((r) => r.type)).toEqual(['job.started', 'job.finished']);
    } finally {
      await mixed.close();
    }
  });

  it('gives up after max_attempts and says so in the job log', async () => {
    const dead = await startTestService({
      webhooks: {
        urls: ['http://127.0.0.1:9/unreachable'],
        secret: 'a-shared-secret-1234',
        events: ['job.finished'],
        retry_base_seconds: 0.02,
        max_attempts: 2,
      },
    });
    try {
      const { id } = (await (await postJob(dead.url, { prompt: 'Nobody listens.' })).json()) as { id: string };
      const lines = await waitFor(
        async () => {
          const { lines: l } = (await (await fetch(`${dead.url}/v1/jobs/${id}/logs?tail=0`)).json()) as {
            lines: string[];
          };
          return l.some((x) => x.includes('failed after 2 attempts')) ? l : null;
        },
        { timeoutMs: 20_000 },
      );
      // Webhook URLs are shown as origin + redacted path (Slack-style URLs carry their secret in the path).
      expect(
        lines.some((l) =>
          /Webhook job\.finished to http:\/\/127\.0\.0\.1:9\/\[REDACTED\] failed after 2 attempts \(connection failed\)/.test(
            l,
          ),
        ),
      ).toBe(true);
      expect(lines.join('\n')).not.toContain('/unreachable');
    } finally {
      await dead.close();
    }
  });
});
