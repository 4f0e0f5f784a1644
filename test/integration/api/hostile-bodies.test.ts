// Request bodies bounded by who sends them and where, against a running service: the large body
// limit (room for a first-frame image) holds only for a key allowed `image`, on the routes and
// content types that carry one; every other request is answered 413 as soon as its declared size is
// known, before its body is sent. JSON depth and entries are capped as the body arrives, a validation
// answer names at most 20 problems and says how many it left out, and a multipart body's parts are
// counted before they are split. (How long the loop is held and /healthz latency meanwhile are
// measured by bench/hostile-bodies.mjs, not asserted here.)
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { createKey } from '../../support/api-keys.js';

interface ErrorBody {
  error: string;
  message: string;
  details: {
    field: string;
    validation_errors?: { field: string; message: string }[];
    omitted_problems?: number;
    max_size?: number;
  } | null;
}

/** `{"prompt":"…","k0":1,"k1":1,…}` of about `bytes` bytes. */
function manyKeysBody(bytes: number): string {
  const parts = ['{"prompt":"A lake."'];
  let size = parts[0]!.length + 1;
  for (let i = 0; size < bytes; i += 1) {
    const member = `,"k${i}":1`;
    parts.push(member);
    size += member.length;
  }
  return `${parts.join('')}}`;
}

/** A multipart body of `parts` tiny text parts (100k of them: about 5.4 MB). */
function manyPartsForm(parts: number, boundary: string): Buffer {
  const part = `--${boundary}\r\nContent-Disposition: form-data; name="p"\r\n\r\nx\r\n`;
  return Buffer.from(`${part.repeat(parts)}--${boundary}--\r\n`);
}

/**
 * Sends the request head and only the first `sent` bytes of a body that declares `declared` bytes,
 * then waits for the answer: a server that must read the whole body first never answers (the test
 * would fail on its timeout); one that judges the declared size answers at once.
 */
function answerToPartialBody(port: number, head: string, sent: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const text = received.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? NaN);
      if (received.length - (end + 4) < length) return;
      socket.destroy();
      resolve({
        status: Number(text.slice(9, 12)),
        body: received.subarray(end + 4, end + 4 + length).toString('utf8'),
      });
    });
    socket.write(head);
    socket.write(sent);
  });
}

describe('request bodies bounded by who sends them and where', () => {
  let svc: TestService;
  let port: number;
  let painter: { secret: string };
  let plain: { secret: string };
  const as = (key: { secret: string }, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${key.secret}`,
    ...extra,
  });

  beforeAll(async () => {
    svc = await startTestService(
      {
        security: { require_api_key: true },
        // Only the key named "painter" may send a first-frame image.
        server: { job_options_by_key: { painter: ['image', 'seed'] } },
      },
      { worker: false },
    );
    port = Number(new URL(svc.url).port);
    painter = await createKey(['--data-dir', svc.dataDir], 'painter');
    plain = await createKey(['--data-dir', svc.dataDir], 'plain');
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('answers a 7 MB body from a key without `image` 413 before the body is sent', async () => {
    const declared = 7_000_000;
    const head = `POST /v1/jobs HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${plain.secret}\r\ncontent-type: application/json\r\ncontent-length: ${declared}\r\n\r\n`;
    const res = await answerToPartialBody(port, head, Buffer.from(manyKeysBody(4096).slice(0, 4096)));
    expect(res.status).toBe(413);
    const body = JSON.parse(res.body) as ErrorBody;
    expect(body.error).toBe('PayloadTooLarge');
    expect(body.details?.max_size).toBe(64 * 1024);
  });

  it('cuts off a chunked body from a key without `image` once it passes the small limit', async () => {
    const head = `POST /v1/jobs HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${plain.secret}\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`;
    const chunk = Buffer.alloc(80 * 1024, 0x20);
    // One chunk past 64 KiB, and the body never ends: only a server that counts answers.
    const res = await answerToPartialBody(
      port,
      head,
      Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]),
    );
    expect(res.status).toBe(413);
  });

  it('gives the small limit to a key allowed `image` on a route or content type that carries none', async () => {
    const big = manyKeysBody(100 * 1024);
    const id = '00000000-0000-4000-8000-000000000000';
    const cancel = await fetch(`${svc.url}/v1/jobs/${id}/cancel`, {
      method: 'POST',
      headers: as(painter, { 'content-type': 'application/json' }),
      body: big,
    });
    expect(cancel.status).toBe(413);
    const text = await postJob(svc.url, big, as(painter, { 'content-type': 'text/plain' }));
    expect(text.status).toBe(413);
  });

  it('answers a 7 MB many-keys body from a key with `image` with a bounded answer', async () => {
    // 7 MB: within the room for a 5 MiB image as base64.
    const body = manyKeysBody(7_000_000);
    const res = await postJob(svc.url, body, as(painter));
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(4096);
    const answer = JSON.parse(text) as ErrorBody;
    expect(answer.details?.field).toBe('body');
    expect(answer.message).toBe('body: has more than 1000 object keys and array items (server.max_json_entries)');
  });

  it('names at most 20 problems and says how many more there were', async () => {
    const unknown = Array.from({ length: 900 }, (_, i) => `"extra${i}":true`).join(',');
    const res = await postJob(svc.url, `{"prompt":"A lake.",${unknown}}`, as(painter));
    expect(res.status).toBe(400);
    const answer = (await res.json()) as ErrorBody;
    expect(answer.details?.validation_errors).toHaveLength(20);
    expect(answer.details?.validation_errors?.[0]).toEqual({
      field: 'extra0',
      message: 'unknown field; only "prompt" and "options" are accepted',
    });
    expect(answer.details?.omitted_problems).toBe(880);
    expect(answer.message).toMatch(/; and 880 more problems$/);
    expect(answer.message.split('extra').length - 1).toBe(20);
  });

  it('answers a deep JSON array 400, naming the depth, from either key', async () => {
    // Within 64 KiB for the plain key; 3.4M levels (6.8 MB) for the key allowed images.
    const shallow = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const deep = `${'['.repeat(3_400_000)}${']'.repeat(3_400_000)}`;
    for (const [key, text] of [
      [plain, shallow],
      [painter, deep],
    ] as const) {
      const res = await postJob(svc.url, text, as(key));
      expect(res.status).toBe(400);
      const answer = (await res.json()) as ErrorBody;
      expect(answer.message).toBe('body: nests deeper than 16 levels (server.max_json_depth)');
    }
  });

  it('refuses 100k multipart parts: 413 without `image`, 400 naming the cap with it', async () => {
    const boundary = 'x1';
    const form = new Uint8Array(manyPartsForm(100_000, boundary));
    const headers = { 'content-type': `multipart/form-data; boundary=${boundary}` };
    const refusedBySize = await fetch(`${svc.url}/v1/jobs`, {
      method: 'POST',
      headers: as(plain, headers),
      body: form,
    });
    expect(refusedBySize.status).toBe(413);
    for (const path of ['/v1/jobs', '/v1/videos']) {
      const res = await fetch(`${svc.url}${path}`, { method: 'POST', headers: as(painter, headers), body: form });
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('has more than 32 parts (server.max_multipart_parts)');
    }
  });

  it('does not split a multipart body whose parts it cannot count (no boundary, or one longer than 70 characters)', async () => {
    const form = new Uint8Array(manyPartsForm(3, 'b'.repeat(80)));
    for (const type of ['multipart/form-data', `multipart/form-data; boundary=${'b'.repeat(80)}`]) {
      const res = await fetch(`${svc.url}/v1/jobs`, {
        method: 'POST',
        headers: as(painter, { 'content-type': type }),
        body: form,
      });
      expect(res.status, type).toBe(400);
      expect(((await res.json()) as ErrorBody).message).toBe(
        'body: is not a valid multipart/form-data body (no boundary)',
      );
    }
  });

  it('still takes a small multipart form and a JSON options field within the bounds', async () => {
    const form = new FormData();
    form.set('prompt', 'A lake.');
    form.set('options', JSON.stringify({ seed: 7 }));
    const ok = await fetch(`${svc.url}/v1/jobs`, { method: 'POST', headers: as(painter), body: form });
    expect(ok.status).toBe(202);
    const deepOptions = new FormData();
    deepOptions.set('prompt', 'A lake.');
    deepOptions.set('options', `${'['.repeat(40)}${']'.repeat(40)}`);
    const refused = await fetch(`${svc.url}/v1/jobs`, { method: 'POST', headers: as(painter), body: deepOptions });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as ErrorBody).message).toBe(
      'options: nests deeper than 16 levels (server.max_json_depth)',
    );
  });
});
