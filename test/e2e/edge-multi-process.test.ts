// Two API processes on one Redis behind `ttv edge --run` (Caddy, round-robin over both, health-checked):
// an event stream read through the edge from one process ends `canceled` when the cancel, also sent
// through the edge, is answered by the other.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { startTtv, TTV_BIN, type TtvProcess } from '../support/ttv-process.js';
import { freePort, startRedisServer, type RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait-for.js';

let dir: string;
let redis: RedisServer;
const apis: TtvProcess[] = [];
let worker: TtvProcess;
let edge: ChildProcess;
let edgePort: number;
let edgeOutput = '';

/** One request through the edge (its certificate is Caddy's own local CA). */
function edgeRequest(method: string, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: edgePort,
        method,
        path,
        rejectUnauthorized: false,
        headers: { host: `localhost:${edgePort}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => {
          text += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Reads an event stream through the edge; `onEvent` sees each event as it comes. Resolves when the server ends it. */
function edgeStream(
  path: string,
  onEvent: (e: EventSourceMessage) => void,
): Promise<{ status: number; events: EventSourceMessage[] }> {
  return new Promise((resolve, reject) => {
    const events: EventSourceMessage[] = [];
    const parser = createParser({
      onEvent: (e) => {
        events.push(e);
        onEvent(e);
      },
    });
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: edgePort,
        path,
        rejectUnauthorized: false,
        headers: { host: `localhost:${edgePort}`, accept: 'text/event-stream' },
      },
      (res) => {
        res.on('data', (c: Buffer) => parser.feed(c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, events }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-edge-multi-'));
  redis = await startRedisServer();
  const config = join(dir, 'api.yaml');
  await writeFile(
    config,
    [
      `redis: { url: "${redis.url}", key_prefix: "ttv-edge-multi" }`,
      'security: { trusted_proxies: ["127.0.0.1"] }',
      'segment_duration_seconds: 0.5',
      'procedural: { width: 160, height: 90, fps: 12, max_segments: 1, simulated_latency_seconds: 60 }',
      '',
    ].join('\n'),
  );
  const common = ['--config', config, '--data-dir', dir];
  for (let i = 0; i < 2; i += 1) apis.push(await startTtv(['serve', '--no-worker', '--port', '0', ...common]));
  worker = await startTtv(['worker', ...common]);
  edgePort = await freePort();
  const edgeConfig = join(dir, 'edge.yaml');
  await writeFile(
    edgeConfig,
    `server: { port: ${await freePort()}, quic_port: ${edgePort} }\nedge: { upstreams: [${apis.map((a) => `"${a.url}"`).join(', ')}], health_interval_seconds: 1 }\n`,
  );
  edge = spawn(process.execPath, [TTV_BIN, 'edge', '--config', edgeConfig, '--data-dir', dir, '--run'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  edge.stdout!.on('data', (c: Buffer) => {
    edgeOutput += c.toString();
  });
  edge.stderr!.on('data', (c: Buffer) => {
    edgeOutput += c.toString();
  });
  await waitFor(
    async () =>
      (await edgeRequest('GET', '/healthz')
        .then((r) => r.status === 200)
        .catch(() => false)) || null,
    { timeoutMs: 30_000, what: `the edge to serve (${edgeOutput.slice(-300)})` },
  );
});

afterAll(async () => {
  if (edge && edge.exitCode === null) {
    edge.kill('SIGTERM');
    await once(edge, 'exit');
  }
  await Promise.all([...apis, worker].filter(Boolean).map((p) => p.kill()));
  await redis?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('two API processes behind the edge', () => {
  it('ends a stream read from one process with canceled when the other answers the cancel', async () => {
    const submitted = await edgeRequest(
      'POST',
      '/v1/jobs',
      JSON.stringify({ prompt: 'A long shot across processes.' }),
    );
    expect(submitted.status).toBe(202);
    const { id } = JSON.parse(submitted.text) as { id: string };
    let cancel: Promise<{ status: number; text: string }> | null = null;
    // Round-robin over two upstreams: the request after the stream's goes to the other process.
    const stream = await edgeStream(`/v1/jobs/${id}/events`, (e) => {
      if (e.event === 'status' && JSON.parse(e.data).status === 'progress' && !cancel)
        cancel = edgeRequest('POST', `/v1/jobs/${id}/cancel`);
    });
    expect(stream.status).toBe(200);
    expect(cancel).not.toBeNull();
    expect((await cancel!).status).toBe(200);
    const statuses = stream.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data).status as string);
    expect(statuses[statuses.length - 1]).toBe('canceled');
    // Which process answered what, from their access logs.
    const answered = (suffix: string) =>
      apis.findIndex((a) =>
        a
          .output()
          .split('\n')
          .some((l) => l.includes('"request"') && l.includes(`/v1/jobs/${id}${suffix}`)),
      );
    await waitFor(async () => (answered('/events') >= 0 && answered('/cancel') >= 0 ? true : null), {
      what: 'the stream and the cancel in the access logs',
    });
    expect(answered('/events')).not.toBe(answered('/cancel'));
  });
});
