// API keys as clients meet them: keys made with `ttv keys create`, each job owned by its key. Two
// `jobs` keys cannot see, list, cancel, stream, read logs of, download or delete each other's jobs
// (404, not 403), nor replay each other's idempotency keys; the admin token sees all; a revoked key
// is refused; DELETE removes a terminal job with its artifact; audit lines name keys, never secrets.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { createKey, listKeys, revokeKey, type CreatedKey } from '../../support/api-keys.js';
import { waitFor } from '../../support/wait-for.js';

const ADMIN = 'admin-token-0123456789abcdef';
let svc: TestService;
let idle: TestService;
let alice: CreatedKey;
let bob: CreatedKey;
const logLines: string[] = [];

const auth = (secret: string) => ({ authorization: `Bearer ${secret}` });
const get = (path: string, secret: string) => fetch(`${svc.url}${path}`, { headers: auth(secret) });

async function waitForEnd(id: string, secret: string): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const job = (await (await get(`/v1/jobs/${id}`, secret)).json()) as Record<string, unknown>;
      return ['finished', 'failed', 'canceled'].includes(String(job.status)) ? job : null;
    },
    { timeoutMs: 60_000, what: `job ${id} to end` },
  );
}

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  svc = await startTestService({ security: { auth_token: ADMIN } }, { logger: pino({ level: 'info' }, sink) });
  alice = await createKey(['--data-dir', svc.dataDir], 'alice');
  bob = await createKey(['--data-dir', svc.dataDir], 'bob', ['--rate-limit', '500']);
  idle = await startTestService({ security: { auth_token: ADMIN } }, { worker: false });
});
afterAll(async () => {
  await svc?.close();
  await idle?.close();
});

describe('API keys', () => {
  it('prints the secret once and lists keys without it', async () => {
    expect(alice.secret).toMatch(/^ttv_[A-Za-z0-9_-]{43}$/);
    expect(alice.stderr).toMatch(/cannot be shown again/);
    const listed = await listKeys(['--data-dir', svc.dataDir]);
    expect(listed).toContain(alice.id);
    expect(listed).toContain('rate_limit=500/min');
    expect(listed).not.toContain(alice.secret);
    expect(listed).not.toContain(bob.secret);
  });

  it('keeps each key to its own jobs: others get 404 JobNotFound on every job route, lists show only their own', async () => {
    const created = await postJob(svc.url, { prompt: 'Alice owns this. A red kite.' }, auth(alice.secret));
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };
    for (const [method, path] of [
      ['GET', `/v1/jobs/${id}`],
      ['GET', `/v1/jobs/${id}/logs`],
      ['GET', `/v1/jobs/${id}/events`],
      ['GET', `/v1/jobs/${id}/artifact`],
      ['POST', `/v1/jobs/${id}/cancel`],
      ['DELETE', `/v1/jobs/${id}`],
    ] as const) {
      const res = await fetch(`${svc.url}${path}`, { method, headers: auth(bob.secret) });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toMatchObject({ error: 'JobNotFound', message: `Job ${id} not found` });
    }
    const bobsList = (await (await get('/v1/jobs?limit=100', bob.secret)).json()) as { jobs: { id: string }[] };
    expect(bobsList.jobs.map((j) => j.id)).not.toContain(id);
    const alicesList = (await (await get('/v1/jobs?limit=100', alice.secret)).json()) as { jobs: { id: string }[] };
    expect(alicesList.jobs.map((j) => j.id)).toContain(id);
    const adminList = (await (await get('/v1/jobs?limit=100', ADMIN)).json()) as { jobs: { id: string }[] };
    expect(adminList.jobs.map((j) => j.id)).toContain(id);

    // Alice streams, reads and downloads her own job; Bob's stream never opened.
    const finished = await waitForEnd(id, alice.secret);
    expect(finished.status).toBe('finished');
    const artifact = await get(`/v1/jobs/${id}/artifact`, alice.secret);
    expect(artifact.status).toBe(200);
    const { url } = (await artifact.json()) as { url: string };
    expect((await fetch(url)).status).toBe(200);
    expect((await get(`/v1/jobs/${id}/logs`, alice.secret)).status).toBe(200);
    const events = await get(`/v1/jobs/${id}/events`, alice.secret);
    expect(events.status).toBe(200);
    expect(await events.text()).toContain('"status":"finished"');
    expect((await get(`/v1/jobs/${id}`, ADMIN)).status).toBe(200);
  });

  it('scopes idempotency keys to their owner: the same key from two clients makes two jobs', async () => {
    const body = { prompt: 'Same body, same key. A blue door.' };
    const headers = { 'idempotency-key': 'shared-key-1' };
    const a = await postJob(svc.url, body, { ...auth(alice.secret), ...headers });
    const b = await postJob(svc.url, body, { ...auth(bob.secret), ...headers });
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    const [ja, jb] = (await Promise.all([a.json(), b.json()])) as { id: string }[];
    expect(ja!.id).not.toBe(jb!.id);
    const again = await postJob(svc.url, body, { ...auth(bob.secret), ...headers });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(jb!.id);
    // Bob reusing Alice's key with another body is just a new key of his own, never her job.
    const other = await postJob(
      svc.url,
      { prompt: 'Another body. A green field.' },
      { ...auth(bob.secret), 'idempotency-key': 'alice-only' },
    );
    const hers = await postJob(
      svc.url,
      { prompt: 'Hers. A quiet lake.' },
      { ...auth(alice.secret), 'idempotency-key': 'alice-only' },
    );
    expect([other.status, hers.status]).toEqual([202, 202]);
  });

  it('DELETE removes a terminal job with its logs, events and artifact; 404 for others, 409 while not terminal', async () => {
    const { id } = (await (
      await postJob(svc.url, { prompt: 'To be deleted. A paper boat.' }, auth(alice.secret))
    ).json()) as { id: string };
    await waitForEnd(id, alice.secret);
    const { url } = (await (await get(`/v1/jobs/${id}/artifact`, alice.secret)).json()) as { url: string };
    expect((await fetch(url)).status).toBe(200);
    expect((await fetch(`${svc.url}/v1/jobs/${id}`, { method: 'DELETE', headers: auth(bob.secret) })).status).toBe(404);
    const deleted = await fetch(`${svc.url}/v1/jobs/${id}`, { method: 'DELETE', headers: auth(alice.secret) });
    expect(deleted.status).toBe(204);
    for (const path of [`/v1/jobs/${id}`, `/v1/jobs/${id}/logs`, `/v1/jobs/${id}/events`, `/v1/jobs/${id}/artifact`]) {
      expect((await get(path, ADMIN)).status, path).toBe(404);
    }
    expect((await fetch(url)).status).not.toBe(200); // the signed link now points at nothing
    expect((await fetch(`${svc.url}/v1/jobs/${id}`, { method: 'DELETE', headers: auth(alice.secret) })).status).toBe(
      404,
    );

    // No worker on `idle`: the job stays queued, so DELETE is a conflict until it is canceled.
    const { id: queued } = (await (
      await postJob(idle.url, { prompt: 'Still queued. A snail.' }, auth(ADMIN))
    ).json()) as { id: string };
    const conflict = await fetch(`${idle.url}/v1/jobs/${queued}`, { method: 'DELETE', headers: auth(ADMIN) });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ error: 'Conflict', details: { current_status: 'queued' } });
    await fetch(`${idle.url}/v1/jobs/${queued}/cancel`, { method: 'POST', headers: auth(ADMIN) });
    expect((await fetch(`${idle.url}/v1/jobs/${queued}`, { method: 'DELETE', headers: auth(ADMIN) })).status).toBe(204);
  });

  it('refuses a revoked key within a second, and audits create, revoke and denied use without secrets', async () => {
    const carol = await createKey(['--data-dir', svc.dataDir], 'carol');
    expect((await get('/v1/jobs', carol.secret)).status).toBe(200);
    const revoked = await revokeKey(['--data-dir', svc.dataDir], carol.id);
    expect(revoked.stdout).toMatch(/revoked/);
    expect(revoked.stderr).toContain('"component":"audit"');
    expect(revoked.stderr).toContain(carol.id);
    const start = Date.now();
    await waitFor(async () => (await get('/v1/jobs', carol.secret)).status === 401, {
      timeoutMs: 5000,
      what: 'the revoked key to be refused',
    });
    const refusedAfterMs = Date.now() - start;
    expect(refusedAfterMs).toBeLessThan(2000); // cache ≤ 1 s, plus a busy machine's request latency
    const denied = logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.component === 'audit' && l.event === 'access.denied');
    expect(denied.length).toBeGreaterThan(0);
    expect(denied[0]).toMatchObject({ reason: 'invalid', method: 'GET' });
    for (const secret of [alice.secret, bob.secret, carol.secret, ADMIN])
      expect(logLines.join('\n')).not.toContain(secret);
    expect(carol.stderr).not.toContain(carol.secret);
  });
});
