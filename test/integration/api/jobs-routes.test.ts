// The /v1/jobs contract over real HTTP, with no worker running so that jobs stay where we put them.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { withContract, type ContractProxy } from '../../support/contract-proxy.js';

let svc: TestService & { contract: ContractProxy };
const ISO_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  svc = await withContract(await startTestService({}, { worker: false }));
});
afterAll(async () => {
  await svc?.close();
});
// Every request above goes through the OpenAPI contract proxy.
afterEach(() => svc?.contract.assertClean());

async function expectError(res: Response, status: number, code: string): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body).toMatchObject({ error: code, retryable: expect.any(Boolean) });
  expect(Object.keys(body).sort()).toEqual(['details', 'error', 'message', 'request_id', 'retryable', 'timestamp']);
  expect(body.request_id).toBe(res.headers.get('x-request-id'));
  expect(body.timestamp).toMatch(ISO_Z);
  return body;
}

describe('POST /v1/jobs', () => {
  it('accepts a prompt: 202, Location, the full job with every key', async () => {
    const res = await postJob(svc.url, { prompt: '  A lighthouse at dawn. Waves crash.  ' });
    expect(res.status).toBe(202);
    const job = (await res.json()) as Record<string, unknown>;
    expect(res.headers.get('location')).toBe(`/v1/jobs/${job.id}`);
    expect(Object.keys(job).sort()).toEqual(
      [
        'artifact_uri',
        'created_at',
        'error',
        'estimated_cost_usd',
        'finished_at',
        'gcs_uri',
        'id',
        'options',
        'progress',
        'prompt',
        'queue_position',
        'stage',
        'started_at',
        'status',
      ].sort(),
    );
    expect(job).toMatchObject({
      status: 'queued',
      progress: 0,
      prompt: 'A lighthouse at dawn. Waves crash.',
      started_at: null,
      gcs_uri: null,
      error: null,
      options: null,
    });
    expect(job.created_at).toMatch(ISO_Z);
    expect(typeof job.queue_position).toBe('number');
  });

  it('accepts charset parameters and 2000 code points of emoji', async () => {
    const res = await postJob(
      svc.url,
      { prompt: '🎬'.repeat(2000) },
      { 'content-type': 'application/json; charset=utf-8' },
    );
    expect(res.status).toBe(202);
  });

  it.each([
    ['missing prompt', {}, 'prompt', /required/],
    ['empty prompt', { prompt: '' }, 'prompt', /empty/],
    ['whitespace-only prompt', { prompt: ' \n\t ' }, 'prompt', /empty/],
    ['too long', { prompt: 'x'.repeat(2001) }, 'prompt', /2000/],
    ['non-string', { prompt: 42 }, 'prompt', /string/],
    ['control characters', { prompt: 'bad\u0007bell' }, 'prompt', /control/],
    ['extra field', { prompt: 'ok', backend: 'runway' }, 'backend', /unknown field/],
    ['array body', [1, 2], 'body', /object/],
  ])('rejects %s with 400 naming the field', async (_name, body, field, pattern) => {
    const res = await postJob(svc.url, body);
    const err = await expectError(res, 400, 'ValidationError');
    expect((err.details as { field: string }).field).toBe(field);
    expect(String(err.message)).toMatch(pattern);
  });

  it('rejects malformed JSON and invalid UTF-8 with 400', async () => {
    await expectError(await postJob(svc.url, '{"prompt": '), 400, 'ValidationError');
    const res = await fetch(`${svc.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.from([0x7b, 0x22, 0x70, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    });
    const err = await expectError(res, 400, 'ValidationError');
    expect(err.message).toMatch(/UTF-8/);
  });

  it('answers 415 for other or missing content types', async () => {
    const wrong = await fetch(`${svc.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"prompt":"x"}',
    });
    const err = await expectError(wrong, 415, 'UnsupportedMediaType');
    expect(err.details).toMatchObject({ provided_type: 'text/plain', supported_types: ['application/json'] });
    const missing = await fetch(`${svc.url}/v1/jobs`, { method: 'POST' });
    await expectError(missing, 415, 'UnsupportedMediaType');
  });

  it('answers 413 for a body over 64 KiB', async () => {
    const res = await postJob(svc.url, { prompt: 'y'.repeat(70 * 1024) });
    await expectError(res, 413, 'PayloadTooLarge');
  });

  it('replays an Idempotency-Key with the same body and refuses it with another', async () => {
    const key = `key-${Date.now()}`;
    const first = await postJob(svc.url, { prompt: 'idempotent' }, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const firstJob = (await first.json()) as { id: string };
    const again = await postJob(svc.url, { prompt: 'idempotent' }, { 'idempotency-key': key });
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { id: string }).id).toBe(firstJob.id);
    await expectError(
      await postJob(svc.url, { prompt: 'other body' }, { 'idempotency-key': key }),
      422,
      'IdempotencyKeyMismatch',
    );
    await expectError(
      await postJob(svc.url, { prompt: 'x' }, { 'idempotency-key': 'k'.repeat(256) }),
      400,
      'ValidationError',
    );
  });
});

describe('GET /v1/jobs and /v1/jobs/{id}', () => {
  it('reads a job and answers 404 JobNotFound for unknown or malformed ids', async () => {
    const created = (await (await postJob(svc.url, { prompt: 'read me' })).json()) as { id: string };
    const res = await fetch(`${svc.url}/v1/jobs/${created.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
    expect(res.headers.get('expires')).toBe('0');
    expect(await res.json()).toMatchObject({ id: created.id, status: 'queued' });
    const unknown = await expectError(await fetch(`${svc.url}/v1/jobs/${UNKNOWN}`), 404, 'JobNotFound');
    expect(unknown.message).toBe(`Job ${UNKNOWN} not found`);
    // An encoded slash is not a canonical path: refused before any route (see canonical-path.ts).
    await expectError(await fetch(`${svc.url}/v1/jobs/..%2F..%2Fetc%2Fpasswd`), 400, 'ValidationError');
  });

  it('lists newest first with limit, cursor and status filter; validates the query', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1)
      ids.push(((await (await postJob(svc.url, { prompt: `list ${i}` })).json()) as { id: string }).id);
    const page1 = (await (await fetch(`${svc.url}/v1/jobs?limit=2`)).json()) as {
      jobs: { id: string }[];
      next_cursor: string;
    };
    expect(page1.jobs.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const page2 = (await (await fetch(`${svc.url}/v1/jobs?limit=1&cursor=${page1.next_cursor}`)).json()) as {
      jobs: { id: string }[];
    };
    expect(page2.jobs.map((j) => j.id)).toEqual([ids[0]]);
    const queued = (await (await fetch(`${svc.url}/v1/jobs?status=queued&limit=100`)).json()) as {
      jobs: { status: string }[];
    };
    expect(queued.jobs.length).toBeGreaterThanOrEqual(3);
    expect(queued.jobs.every((j) => j.status === 'queued')).toBe(true);
    for (const bad of ['limit=0', 'limit=101', 'limit=abc', 'status=done', 'cursor=zzz']) {
      await expectError(await fetch(`${svc.url}/v1/jobs?${bad}`), 400, 'ValidationError');
    }
  });
});

describe('cancel and logs', () => {
  it('cancels a queued job, then answers 409 naming the status', async () => {
    const { id } = (await (await postJob(svc.url, { prompt: 'cancel me' })).json()) as { id: string };
    const res = await fetch(`${svc.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, status: 'canceled', message: expect.any(String) });
    const again = await fetch(`${svc.url}/v1/jobs/${id}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const err = await expectError(again, 409, 'Conflict');
    expect(err.message).toMatch(/canceled/);
    await expectError(await fetch(`${svc.url}/v1/jobs/${UNKNOWN}/cancel`, { method: 'POST' }), 404, 'JobNotFound');
    const bodyRes = await fetch(`${svc.url}/v1/jobs/${UNKNOWN}/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"force":true}',
    });
    await expectError(bodyRes, 400, 'ValidationError');
    const logs = (await (await fetch(`${svc.url}/v1/jobs/${id}/logs`)).json()) as { lines: string[] };
    expect(logs.lines.at(-1)).toMatch(/^\[\d{4}-\d{2}-\d{2}T[\d:.]+Z\] Job cancellation requested$/);
  });

  it('answers 405 with Allow for a wrong method on a known path', async () => {
    const res = await fetch(`${svc.url}/v1/jobs/${UNKNOWN}/cancel`);
    await expectError(res, 405, 'MethodNotAllowed');
    expect(res.headers.get('allow')).toBe('POST');
    const del = await fetch(`${svc.url}/v1/jobs`, { method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toContain('GET');
    expect(del.headers.get('allow')).toContain('POST');
  });

  it('serves log tails and validates tail', async () => {
    const { id } = (await (await postJob(svc.url, { prompt: 'logs' })).json()) as { id: string };
    await svc.queue.appendLog(id, 'second line');
    const all = (await (await fetch(`${svc.url}/v1/jobs/${id}/logs?tail=0`)).json()) as { lines: string[] };
    expect(all.lines).toHaveLength(2);
    const one = (await (await fetch(`${svc.url}/v1/jobs/${id}/logs?tail=1`)).json()) as { lines: string[] };
    expect(one.lines).toEqual([all.lines[1]]);
    const huge = await fetch(`${svc.url}/v1/jobs/${id}/logs?tail=99999999999999999999`);
    expect(huge.status).toBe(200);
    for (const bad of ['-1', '1.5', 'abc', '']) {
      const err = await expectError(await fetch(`${svc.url}/v1/jobs/${id}/logs?tail=${bad}`), 400, 'ValidationError');
      expect(err.message).toMatch(/non-negative/);
    }
    await expectError(await fetch(`${svc.url}/v1/jobs/${UNKNOWN}/logs`), 404, 'JobNotFound');
  });
});

describe('GET /v1/jobs/{id} of an ended job', () => {
  // Its answer is serialized once per cached record (routes/jobs.ts): every read gets the same bytes,
  // the view the schema serializer writes, with the headers of any other answer.
  it('answers the same body on every read, with the same headers', async () => {
    const { id } = (await (await postJob(svc.url, { prompt: 'Ended before it started.' })).json()) as { id: string };
    const canceled = await fetch(`${svc.url}/v1/jobs/${id}/cancel`, { method: 'POST' });
    expect(canceled.status).toBe(200);
    const { message: _message, ...view } = (await canceled.json()) as Record<string, unknown>;
    const reads = await Promise.all([id, id.toUpperCase(), id].map((s) => fetch(`${svc.url}/v1/jobs/${s}`)));
    const bodies = await Promise.all(reads.map((r) => r.text()));
    for (const res of reads) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('no-cache, no-store, must-revalidate');
      expect(res.headers.get('x-ratelimit-limit')).toMatch(/^\d+$/);
      expect(res.headers.get('x-request-id')).toMatch(/./);
    }
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]!)).toEqual({ ...view, status: 'canceled' });
    expect(Object.keys(JSON.parse(bodies[0]!) as object)).toEqual(Object.keys(view));
  });
});

describe('artifact of an unfinished job', () => {
  it('answers 404 ArtifactNotReady with the current status, and validates the query', async () => {
    const { id } = (await (await postJob(svc.url, { prompt: 'not yet' })).json()) as { id: string };
    const err = await expectError(await fetch(`${svc.url}/v1/jobs/${id}/artifact`), 404, 'ArtifactNotReady');
    expect(err.details).toMatchObject({ current_status: 'queued' });
    expect(
      (await expectError(await fetch(`${svc.url}/v1/jobs/${id}/artifact?expires_in=59`), 400, 'ValidationError'))
        .message,
    ).toMatch(/at least 60/);
    expect(
      (await expectError(await fetch(`${svc.url}/v1/jobs/${id}/artifact?expires_in=604801`), 400, 'ValidationError'))
        .message,
    ).toMatch(/604800/);
    await expectError(await fetch(`${svc.url}/v1/jobs/${id}/artifact?expires_in=abc`), 400, 'ValidationError');
    await expectError(await fetch(`${svc.url}/v1/jobs/${id}/artifact?redirect=maybe`), 400, 'ValidationError');
    await expectError(await fetch(`${svc.url}/v1/jobs/${UNKNOWN}/artifact`), 404, 'JobNotFound');
  });
});

describe('cross-cutting', () => {
  it('echoes a sane X-Request-ID, replaces an insane one, and sets security headers on errors too', async () => {
    const mine = await fetch(`${svc.url}/v1/jobs/${UNKNOWN}`, { headers: { 'x-request-id': 'client-req-42' } });
    expect(mine.headers.get('x-request-id')).toBe('client-req-42');
    expect(mine.headers.get('x-correlation-id')).toBe('client-req-42');
    expect(((await mine.json()) as { request_id: string }).request_id).toBe('client-req-42');
    const insane = await fetch(`${svc.url}/healthz`, { headers: { 'x-request-id': 'bad id with spaces <script>' } });
    expect(insane.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    for (const [name, value] of [
      ['x-content-type-options', 'nosniff'],
      ['x-frame-options', 'DENY'],
      ['referrer-policy', 'strict-origin-when-cross-origin'],
      ['x-permitted-cross-domain-policies', 'none'],
    ]) {
      expect(mine.headers.get(name!)).toBe(value);
    }
    expect(mine.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(mine.headers.get('strict-transport-security')).toBeNull();
  });

  it('answers unknown routes with 404 NotFound in the envelope', async () => {
    await expectError(await fetch(`${svc.url}/v2/nothing`), 404, 'NotFound');
  });
});
