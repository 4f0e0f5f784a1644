// The api_config.yaml keys seen from outside: a real server started from a Python-style file
// (through loadConfig, as `ttv serve --config` does) answers with the configured token, browser
// origins and submission limit. (gcs.signed_url_expiration is observed the same way, through the
// artifact route and the GCS fake, in test/integration/storage/gcs-artifact-store.test.ts.)
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load-config.js';
import { startService, type Service } from '../../../src/service.js';

const TOKEN = 'python-token-0123456789';
let dir: string;
let svc: Service;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-pyapi-'));
  const file = join(dir, 'api_config.yaml');
  await writeFile(
    file,
    stringify({
      server: { host: '127.0.0.1', port: 0, workers: 2, cors_origins: ['https://app.example'] },
      security: { auth_token: TOKEN, rate_limit_per_minute: 7 },
      api: { title: 'TTV Pipeline API' },
      data_dir: join(dir, 'data'),
      logging: { level: 'silent' },
    }),
  );
  const { config, warnings } = loadConfig({ files: [file], env: {} });
  expect(warnings).toContain('key "server.workers" is accepted for compatibility but not used by ttv');
  svc = await startService({ config, api: true, worker: false, logger: pino({ level: 'silent' }) });
  url = svc.url!;
});
afterAll(async () => {
  await svc?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('api_config.yaml keys on a real server', () => {
  it('security.auth_token: /v1 needs the configured bearer token', async () => {
    expect((await fetch(`${url}/v1/jobs`)).status).toBe(401);
    expect((await fetch(`${url}/v1/jobs`, { headers: { authorization: 'Bearer wrong-token-000000000' } })).status).toBe(
      401,
    );
    expect((await fetch(`${url}/v1/jobs`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('server.cors_origins: the configured origin is allowed, another is not', async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/v1/jobs`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect((await preflight('https://app.example')).headers.get('access-control-allow-origin')).toBe(
      'https://app.example',
    );
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('security.rate_limit_per_minute: submissions carry the configured limit', async () => {
    const res = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'A fox runs.' }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('x-ratelimit-limit')).toBe('7');
  });
});
