// Bearer auth on /v1/*, open health/metrics/docs, and the loopback-only rule without a token.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { assertSafeBind, isLoopbackHost } from '../../../src/api/server.js';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import { withContract, type ContractProxy } from '../../support/contract-proxy.js';

const TOKEN = 'test-token-0123456789abcdef';
let svc: TestService & { contract: ContractProxy };

beforeAll(async () => {
  svc = await withContract(await startTestService({ security: { auth_token: TOKEN } }, { worker: false }));
});
afterAll(async () => {
  await svc?.close();
});
// Every request above goes through the OpenAPI contract proxy.
afterEach(() => svc?.contract.assertClean());

describe('bearer auth', () => {
  it('refuses /v1 requests without a valid bearer token with 401 + WWW-Authenticate', async () => {
    for (const headers of [
      {} as Record<string, string>,
      { authorization: `Basic ${TOKEN}` },
      { authorization: 'Bearer wrong-token' },
      { authorization: `bearer ${TOKEN}` },
      { authorization: 'Bearer ' },
    ]) {
      const res = await fetch(`${svc.url}/v1/jobs`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await res.json()).toMatchObject({ error: 'Unauthorized', request_id: res.headers.get('x-request-id') });
    }
  });

  it('checks auth before the content type (401, not 415)', async () => {
    const res = await fetch(`${svc.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(res.status).toBe(401);
  });

  it('accepts the right token', async () => {
    const res = await postJob(svc.url, { prompt: 'authorized' }, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(202);
    const list = await fetch(`${svc.url}/v1/jobs`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(list.status).toBe(200);
  });

  it('leaves health, metrics, docs and the page open', async () => {
    for (const path of ['/healthz', '/metrics', '/openapi.json', '/']) {
      expect((await fetch(`${svc.url}${path}`)).status).toBe(200);
    }
  });
});

describe('bind rule', () => {
  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com']) expect(isLoopbackHost(host)).toBe(false);
  });

  it('refuses a non-loopback bind without a token, and plain HTTP off loopback unless allowed', async () => {
    expect(() => assertSafeBind(configSchema.parse({ server: { host: '0.0.0.0' } }))).toThrow(
      /server\.host.*auth_token/,
    );
    expect(() =>
      assertSafeBind(configSchema.parse({ server: { host: '0.0.0.0' }, security: { auth_token: TOKEN } })),
    ).toThrow(/plain HTTP on 0\.0\.0\.0 is refused/);
    expect(() =>
      assertSafeBind(
        configSchema.parse({ server: { host: '0.0.0.0', allow_plain_http: true }, security: { auth_token: TOKEN } }),
      ),
    ).not.toThrow();
    expect(() =>
      assertSafeBind(
        configSchema.parse({
          server: { host: '0.0.0.0', tls: { cert_path: '/c.pem', key_path: '/k.pem' } },
          security: { auth_token: TOKEN },
        }),
      ),
    ).not.toThrow();
    expect(() => assertSafeBind(configSchema.parse({ server: { host: '127.0.0.1' } }))).not.toThrow();
    await expect(startTestService({ server: { host: '0.0.0.0' } })).rejects.toThrow(/refusing to listen/);
  });
});
