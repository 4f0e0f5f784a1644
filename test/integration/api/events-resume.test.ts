// SSE as standard clients meet it: the `eventsource` npm client and Chromium's native EventSource
// both reconnect after the server ends a stream, sending the last id they saw. A resume at or past
// the end of a finished job gets the terminal status again and the stream ends (it used to hang on
// keep-alives forever); every status event carries {status, stage, progress, error, artifact_uri}.

import { EventSource } from 'eventsource';

import { launchChromium, requireChromium } from '../../support/chromium.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { withContract, type ContractProxy } from '../../support/contract-proxy.js';
import { readSse } from '../../support/sse.js';
import { waitFor } from '../../support/wait-for.js';

const STATUS_KEYS = ['artifact_uri', 'error', 'progress', 'stage', 'status'];

let svc: TestService & { contract: ContractProxy };
let finishedId: string;
let lastId: string;
let terminalStatusId: string;

beforeAll(async () => {
  svc = await withContract(await startTestService({ server: { sse_heartbeat_seconds: 0.2 } }));
  finishedId = ((await (await postJob(svc.url, { prompt: 'A kite rises.' })).json()) as { id: string }).id;
  await waitFor(
    async () =>
      ((await (await fetch(`${svc.url}/v1/jobs/${finishedId}`)).json()) as { status: string }).status === 'finished' ||
      null,
  );
  const whole = await readSse(`${svc.url}/v1/jobs/${finishedId}/events`);
  lastId = whole.events.at(-1)!.id!;
  terminalStatusId = whole.events.filter((e) => e.event === 'status').at(-1)!.id!;
});
afterAll(async () => {
  await svc?.close();
});
afterEach(() => svc?.contract.assertClean());

describe('resuming a finished job', () => {
  it('every status event carries the documented keys', async () => {
    const read = await readSse(`${svc.url}/v1/jobs/${finishedId}/events`);
    const statuses = read.events
      .filter((e) => e.event === 'status')
      .map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(statuses.map((s) => s.status)).toEqual(['queued', 'started', 'progress', 'finished']);
    for (const s of statuses) expect(Object.keys(s).sort()).toEqual(STATUS_KEYS);
    expect(statuses.at(-1)!.artifact_uri).toEqual(expect.any(String));
  });

  it.each([
    ['at the last event', () => lastId, ['status']],
    ['at the terminal status (its log line follows)', () => terminalStatusId, ['log', 'status']],
    ['past the end (SQLite ids are sequence numbers)', () => String(Number(lastId) + 1000), ['status']],
  ])('a resume %s sends the terminal status and ends', async (_name, id, types) => {
    expect(terminalStatusId).not.toBe(lastId);
    const read = await readSse(`${svc.url}/v1/jobs/${finishedId}/events`, { headers: { 'last-event-id': id() } });
    expect(read.ended).toBe(true);
    expect(read.events.map((e) => e.event)).toEqual(types);
    const data = JSON.parse(read.events.at(-1)!.data) as Record<string, unknown>;
    expect(data.status).toBe('finished');
    expect(Object.keys(data).sort()).toEqual(STATUS_KEYS);
  });

  it('the eventsource client reconnects with Last-Event-ID and gets the terminal status again', async () => {
    const sentIds: (string | null)[] = [];
    const es = new EventSource(`${svc.url}/v1/jobs/${finishedId}/events`, {
      fetch: (input, init) => {
        sentIds.push(new Headers(init?.headers).get('last-event-id'));
        return fetch(input, init);
      },
    });
    const statuses: string[] = [];
    try {
      await new Promise<void>((resolve, reject) => {
        es.addEventListener('status', (e) => {
          statuses.push((JSON.parse(e.data) as { status: string }).status);
          // The first connection replays the journal; the reconnect must bring 'finished' again.
          if (statuses.filter((s) => s === 'finished').length === 2) resolve();
        });
        es.addEventListener('error', () => {
          if (es.readyState === EventSource.CLOSED) reject(new Error('closed for good'));
        });
      });
    } finally {
      es.close();
    }
    expect(statuses).toEqual(['queued', 'started', 'progress', 'finished', 'finished']);
    expect(sentIds[0]).toBeNull();
    expect(sentIds[1]).toBe(lastId);
  });

  it("Chromium's EventSource reconnects and gets the terminal status again, never the journal twice", async () => {
    requireChromium();
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      // The dashboard page: its CSP allows same-origin connections (API answers' CSP allows none).
      await page.goto(`${svc.url}/`);
      const seen = await page.evaluate(
        async (path) =>
          new Promise<{ status: string; id: string; opens: number }[]>((resolve) => {
            const out: { status: string; id: string; opens: number }[] = [];
            let opens = 0;
            // globalThis: the bare name is the imported npm client in this module (vitest rewrites it).
            const es = new (globalThis as unknown as { EventSource: typeof EventSource }).EventSource(path);
            es.onopen = () => {
              opens += 1;
            };
            es.onerror = () => {
              if (es.readyState === 2) resolve(out);
            }; // closed for good: report what came
            es.addEventListener('status', (e) => {
              const m = e as MessageEvent<string>;
              out.push({ status: (JSON.parse(m.data) as { status: string }).status, id: m.lastEventId, opens });
              if (out.filter((s) => s.status === 'finished').length === 2) {
                es.close();
                resolve(out);
              }
            });
          }),
        `/v1/jobs/${finishedId}/events`,
      );
      expect(seen.map((s) => s.status)).toEqual(['queued', 'started', 'progress', 'finished', 'finished']);
      // The second 'finished' came on a second connection, under the id the browser resumed from.
      expect(seen.at(-1)!.opens).toBe(2);
      expect(seen.at(-1)!.id).toBe(lastId);
    } finally {
      await browser.close();
    }
  });
});
