// Event streams are capped per client and per process (503 + Retry-After), and sleep until the
// store's change notification: a write by another process reaches an open stream long before the
// heartbeat re-read (set to a minute here) would have found it, on SQLite and on Redis.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { readSse } from '../../support/sse.js';
import { startRedisServer, type RedisServer } from '../../support/redis-server.js';
import { waitFor } from '../../support/wait-for.js';
import { createKey } from '../../support/api-keys.js';
import { assertPostgresReachable, testPostgresConfig } from '../../support/postgres.js';

const run = promisify(execFile);
const APPENDER = new URL('../../support/append-log-process.mjs', import.meta.url).pathname;

async function submit(url: string, token?: string): Promise<string> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return ((await (await postJob(url, { prompt: 'Waiting in the queue.' }, headers)).json()) as { id: string }).id;
}

/** Opens a stream and keeps it open; resolves once the response head arrived. */
async function openStream(
  url: string,
  token: string,
): Promise<{ status: number; response: Response; close: () => void }> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  return {
    status: response.status,
    response,
    close: () => {
      void response.body?.cancel().catch(() => undefined);
      controller.abort();
    },
  };
}

describe('event stream caps', () => {
  let svc: TestService;
  // Streams are counted per API key (the authenticated principal), so three clients are three keys.
  const tokens: Record<'a' | 'b' | 'c', string> = { a: '', b: '', c: '' };
  beforeAll(async () => {
    svc = await startTestService({ server: { max_sse_streams: 3, max_sse_streams_per_client: 2 } }, { worker: false });
    for (const name of ['a', 'b', 'c'] as const)
      tokens[name] = (await createKey(['--data-dir', svc.dataDir], `client-${name}`, ['--scope', 'admin'])).secret;
    // The API notices the new keys within its key cache's second: from then on /v1 needs one.
    await waitFor(async () => (await fetch(`${svc.url}/v1/jobs`)).status === 401 || null, {
      what: 'auth required once keys exist',
    });
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('answers 503 ServiceUnavailable with Retry-After beyond the per-client and per-process caps', async () => {
    const id = await submit(svc.url, tokens.a);
    const url = `${svc.url}/v1/jobs/${id}/events`;
    const held = [await openStream(url, tokens.a), await openStream(url, tokens.a)];
    expect(held.map((s) => s.status)).toEqual([200, 200]);

    const third = await openStream(url, tokens.a);
    expect(third.status).toBe(503);
    expect(Number(third.response.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await third.response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error: 'ServiceUnavailable', retryable: true });
    expect(String(body.message)).toContain('this client');
    expect(body.request_id).toBe(third.response.headers.get('x-request-id'));

    // Another client still gets one, until the process holds max_sse_streams.
    const other = await openStream(url, tokens.b);
    expect(other.status).toBe(200);
    held.push(other);
    const beyond = await openStream(url, tokens.c);
    expect(beyond.status).toBe(503);
    expect(((await beyond.response.json()) as { message: string }).message).toContain('this server');

    // A closed stream gives its slot back.
    held.shift()!.close();
    const again = await waitFor(
      async () => {
        const s = await openStream(url, tokens.a);
        if (s.status === 200) return s;
        await s.response.body?.cancel();
        return null;
      },
      { what: 'a freed stream slot' },
    );
    held.push(again);
    for (const s of held) s.close();
  });
});

/** Reads the stream; once it is open and has replayed the journal, another process appends a line. */
async function foreignLineArrives(
  url: string,
  writeFromAnotherProcess: (line: string) => Promise<unknown>,
): Promise<string[]> {
  const line = `written by another process ${randomUUID()}`;
  let started = false;
  let writer: Promise<unknown> | null = null;
  const read = await readSse(url, {
    stop: (events) => {
      if (!started && events.some((e) => e.event === 'log')) {
        started = true;
        writer = writeFromAnotherProcess(line);
      }
      return events.some((e) => e.event === 'log' && e.data.includes(line));
    },
  });
  await writer;
  return read.events.filter((e) => e.event === 'log').map((e) => JSON.parse(e.data).line as string);
}

// The heartbeat, and with it the fallback re-read, is a minute away: only the notification is fast.
const SLOW_HEARTBEAT = { sse_heartbeat_seconds: 60, idle_timeout_seconds: 120 };

describe('event streams wake on writes by another process', () => {
  it('SQLite: a `ttv worker`-like process writing to the shared database', async () => {
    const svc = await startTestService({ server: SLOW_HEARTBEAT }, { worker: false });
    try {
      const id = await submit(svc.url);
      const lines = await foreignLineArrives(`${svc.url}/v1/jobs/${id}/events`, (line) =>
        run(process.execPath, [APPENDER, 'sqlite', join(svc.dataDir, 'ttv.db'), id, line]),
      );
      expect(lines.at(-1)).toMatch(/written by another process/);
    } finally {
      await svc.close();
    }
  }, 30_000);

  describe('Redis', () => {
    let redis: RedisServer;
    beforeAll(async () => {
      redis = await startRedisServer();
    });
    afterAll(async () => {
      await redis?.stop();
    });

    it('pub/sub reaches a stream in the API process', async () => {
      const prefix = `ttv-sse-${randomUUID().slice(0, 8)}`;
      const svc = await startTestService(
        { server: SLOW_HEARTBEAT, redis: { url: redis.url, key_prefix: prefix } },
        { worker: false },
      );
      try {
        const id = await submit(svc.url);
        const lines = await foreignLineArrives(`${svc.url}/v1/jobs/${id}/events`, (line) =>
          run(process.execPath, [APPENDER, 'redis', redis.url, prefix, id, line]),
        );
        expect(lines.at(-1)).toMatch(/written by another process/);
      } finally {
        await svc.close();
      }
    }, 30_000);
  });

  it('PostgreSQL: a NOTIFY reaches a stream in the API process', async () => {
    await assertPostgresReachable();
    const schema = testPostgresConfig();
    const svc = await startTestService({ server: SLOW_HEARTBEAT, postgres: schema.config }, { worker: false });
    try {
      const id = await submit(svc.url);
      const append = (line: string) =>
        run(process.execPath, [APPENDER, 'postgres', schema.config.url, schema.config.schema, id, line]);
      // The first stream starts the process's one LISTEN connection, whose connect re-reads every
      // stream once: its line may come that way. The second stream's can only come by NOTIFY.
      await foreignLineArrives(`${svc.url}/v1/jobs/${id}/events`, append);
      const lines = await foreignLineArrives(`${svc.url}/v1/jobs/${id}/events`, append);
      expect(lines.at(-1)).toMatch(/written by another process/);
    } finally {
      await svc.close();
      await schema.drop();
    }
  }, 30_000);
});
