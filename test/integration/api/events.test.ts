// GET /v1/jobs/{id}/events over real HTTP: the whole journal in order, resumable, with heartbeats.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { withContract, type ContractProxy } from '../../support/contract-proxy.js';
import { readSse } from '../../support/sse.js';

let svc: TestService & { contract: ContractProxy };
beforeAll(async () => {
  svc = await withContract(
    await startTestService({ server: { sse_heartbeat_seconds: 0.2 }, procedural: { simulated_latency_seconds: 0.5 } }),
  );
});
afterAll(async () => {
  await svc?.close();
});
// Every request above goes through the OpenAPI contract proxy.
afterEach(() => svc?.contract.assertClean());

async function submit(prompt: string): Promise<string> {
  return ((await (await postJob(svc.url, { prompt })).json()) as { id: string }).id;
}

describe('job event stream', () => {
  it('follows a job from queued to finished with every milestone in order, then ends', async () => {
    const id = await submit('Clouds drift. Rain falls.');
    const read = await readSse(`${svc.url}/v1/jobs/${id}/events`);
    expect(read.status).toBe(200);
    expect(read.contentType).toMatch(/^text\/event-stream/);
    expect(read.ended).toBe(true);
    const statuses = read.events.filter((e) => e.event === 'status').map((e) => JSON.parse(e.data).status);
    expect(statuses[0]).toBe('queued');
    expect(statuses.at(-1)).toBe('finished');
    expect(statuses).toEqual(['queued', 'started', 'progress', 'finished']);
    const progress = read.events
      .filter((e) => e.event === 'progress')
      .map((e) => JSON.parse(e.data).progress as number);
    expect([...progress].sort((a, b) => a - b)).toEqual(progress);
    for (const milestone of [5, 10, 20, 30, 50, 80, 90, 95]) expect(progress).toContain(milestone);
    expect(JSON.parse(read.events.filter((e) => e.event === 'status').at(-1)!.data).progress).toBe(100);
    const logs = read.events.filter((e) => e.event === 'log').map((e) => JSON.parse(e.data).line as string);
    expect(logs.some((l) => l.includes('Video generation completed'))).toBe(true);
    expect(read.events.every((e) => typeof e.id === 'string' && e.id.length > 0)).toBe(true);
  });

  it('sends heartbeat comments while a job sits idle in the queue', async () => {
    const idle = await startTestService({ server: { sse_heartbeat_seconds: 0.2 } }, { worker: false });
    try {
      const { id } = (await (await postJob(idle.url, { prompt: 'Waiting.' })).json()) as { id: string };
      const read = await readSse(`${idle.url}/v1/jobs/${id}/events`, {
        stop: (_events, comments) => comments.length >= 2,
      });
      expect(read.comments.filter((c) => c.includes('keep-alive')).length).toBeGreaterThanOrEqual(2);
      expect(read.events.map((e) => e.event)).toEqual(['status', 'log']);
    } finally {
      await idle.close();
    }
  });

  it('resumes after Last-Event-ID without missing or repeating anything', async () => {
    const id = await submit('A kite rises. It dives. It lands.');
    const first = await readSse(`${svc.url}/v1/jobs/${id}/events`, { stop: (events) => events.length >= 6 });
    expect(first.ended).toBe(false);
    const lastId = first.events.at(-1)!.id!;
    const rest = await readSse(`${svc.url}/v1/jobs/${id}/events`, { headers: { 'last-event-id': lastId } });
    expect(rest.ended).toBe(true);
    const full = await readSse(`${svc.url}/v1/jobs/${id}/events`);
    const joined = [...first.events, ...rest.events].map((e) => [e.id, e.event, e.data]);
    expect(joined).toEqual(full.events.map((e) => [e.id, e.event, e.data]));
  });

  it('answers 404 for an unknown job and 400 for a Last-Event-ID it did not issue', async () => {
    const unknown = await fetch(`${svc.url}/v1/jobs/00000000-0000-4000-8000-000000000000/events`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toBe('JobNotFound');
    const id = await submit('Bad cursor.');
    const bad = await fetch(`${svc.url}/v1/jobs/${id}/events`, { headers: { 'last-event-id': 'not-an-id' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toBe('ValidationError');
  });

  it('ends the stream of a canceled job with its canceled status', async () => {
    const id = await submit('One long wait.');
    const reading = readSse(`${svc.url}/v1/jobs/${id}/events`);
    await fetch(`${svc.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    const read = await reading;
    expect(read.ended).toBe(true);
    expect(JSON.parse(read.events.filter((e) => e.event === 'status').at(-1)!.data).status).toBe('canceled');
  });
});
