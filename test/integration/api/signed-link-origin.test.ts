// Signed download links of the local store point at server.public_url, else at the address and port
// the connection reached: never at the client's Host or X-Forwarded-Host, which would hand the link
// (and its signature) to whatever host a request named.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../support/test-service.js';
import { waitFor } from '../../support/wait-for.js';

const TOKEN = 'signed-link-origin-token-01';
const auth = { authorization: `Bearer ${TOKEN}` };

function getJson(
  url: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function finishedJob(svc: TestService): Promise<string> {
  const res = await fetch(`${svc.url}/v1/jobs`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'A paper boat on a pond.' }),
  });
  expect(res.status).toBe(202);
  const { id } = (await res.json()) as { id: string };
  await waitFor(
    async () => {
      const job = (await (await fetch(`${svc.url}/v1/jobs/${id}`, { headers: auth })).json()) as { status: string };
      if (job.status === 'failed' || job.status === 'canceled') throw new Error(`job ${id} ${job.status}`);
      return job.status === 'finished';
    },
    { timeoutMs: 60_000, what: `job ${id} to finish` },
  );
  return id;
}

describe('without server.public_url', () => {
  let svc: TestService;
  let id: string;
  beforeAll(async () => {
    svc = await startTestService({ security: { auth_token: TOKEN, trusted_proxies: ['127.0.0.1'] } });
    id = await finishedJob(svc);
  });
  afterAll(async () => {
    await svc?.close();
  });

  it('builds the link from the bound address, whatever Host or X-Forwarded-* the request carries', async () => {
    const port = new URL(svc.url).port;
    for (const headers of <Record<string, string>[]>[
      { host: 'attacker.example:8443' },
      { host: `localhost:${port}` },
      // From a trusted proxy, too: the forwarded name is the client's word.
      { host: `127.0.0.1:${port}`, 'x-forwarded-host': 'attacker.example', 'x-forwarded-proto': 'https' },
    ]) {
      const res = await getJson(svc.url, `/v1/jobs/${id}/artifact`, { ...auth, ...headers });
      expect(res.status, JSON.stringify(headers)).toBe(200);
      const link = new URL(String(res.body.url));
      expect(link.origin, JSON.stringify(headers)).toBe(`http://127.0.0.1:${port}`);
      expect(link.pathname).toMatch(/^\/files\//);
    }
    const { body } = await getJson(svc.url, `/v1/jobs/${id}/artifact`, { ...auth, host: 'attacker.example' });
    const download = await fetch(String(body.url));
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('video/mp4');
    expect((await download.arrayBuffer()).byteLength).toBeGreaterThan(1000);
  });
});

describe('with server.public_url', () => {
  it('builds the link from server.public_url', async () => {
    const svc = await startTestService({
      server: { public_url: 'https://videos.example.com/ttv' },
      security: { auth_token: TOKEN },
    });
    try {
      const id = await finishedJob(svc);
      const res = await getJson(svc.url, `/v1/jobs/${id}/artifact`, { ...auth, host: 'attacker.example' });
      expect(String(res.body.url)).toMatch(/^https:\/\/videos\.example\.com\/ttv\/files\/.+\?expires=\d+&signature=/);
    } finally {
      await svc.close();
    }
  });
});
