// The OpenAPI document against the server: what the document says (security, statuses, parameter
// bounds, media types) is what the server does, checked through the validating contract proxy and
// by Redocly's linter; wrong methods are 405 with Allow.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';
import {
  ContractChecker,
  withContract,
  type ContractProxy,
  type OpenApiDocument,
} from '../../support/contract-proxy.js';

const run = promisify(execFile);
// The token scripts/openapi.mjs uses for the committed copy (docs/openapi.json).
const TOKEN = 'documented-token-placeholder';
const auth = { authorization: `Bearer ${TOKEN}` };
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

type Operation = {
  operationId?: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, unknown>; headers?: Record<string, unknown> }>;
  parameters?: { name: string; in: string; schema: Record<string, unknown> }[];
};
let svc: TestService & { contract: ContractProxy };
let doc: OpenApiDocument & { servers?: { url: string }[] };

beforeAll(async () => {
  svc = await withContract(await startTestService({ security: { auth_token: TOKEN } }, { worker: false }));
  doc = svc.contract.checker.document as typeof doc;
});
afterAll(async () => {
  await svc?.close();
});
afterEach(() => svc?.contract.assertClean());

/** The routes that answer in OpenAI's shapes (and error envelope). */
const openAiShaped = (path: string) => path.startsWith('/v1/videos') || path === '/v1/models';
const operations = () =>
  Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ path, method, op: op as unknown as Operation })),
  );
const op = (path: string, method = 'get') => doc.paths[path]![method] as unknown as Operation;

/** Raw request (fetch refuses TRACE). */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; allow: string | undefined; body: string }> {
  const url = new URL(path, svc.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, allow: res.headers.allow, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the document', () => {
  it('asks for the bearer token on /v1 only, and names every operation', () => {
    const open = ['/', '/healthz', '/readyz', '/metrics', '/metrics/prometheus', '/openapi.json'];
    const ids = new Set<string>();
    for (const { path, method, op: o } of operations()) {
      expect(o.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      ids.add(o.operationId!);
      if (path.startsWith('/v1/')) expect(o.security, path).toEqual([{ bearer: [] }]);
      else {
        expect(open, path).toContain(path);
        expect(o.security, path).toEqual([]);
      }
      // Every operation documents its client errors in the envelope (OpenAI's on /v1/videos and /v1/models).
      const fourXX = Object.keys(o.responses).filter((c) => c.startsWith('4'));
      expect(fourXX.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const code of fourXX) {
        const schema = (
          o.responses[code]!.content!['application/json'] as {
            schema: { required: string[]; properties: Record<string, { required?: string[] }> };
          }
        ).schema;
        if (openAiShaped(path)) {
          expect(schema.required).toEqual(['error']);
          expect(schema.properties.error!.required!.sort()).toEqual(['code', 'message', 'param', 'type']);
        } else {
          expect(schema.required.sort()).toEqual([
            'details',
            'error',
            'message',
            'request_id',
            'retryable',
            'timestamp',
          ]);
        }
      }
    }
    expect(ids.size).toBe(operations().length);
    expect(doc.servers?.length).toBeGreaterThan(0);
  });

  it('describes the stream, the redirect, readiness 503 and the stream errors', () => {
    const events = op('/v1/jobs/{id}/events');
    expect(Object.keys(events.responses['200']!.content!)).toEqual(['text/event-stream']);
    expect(Object.keys(events.responses)).toEqual(expect.arrayContaining(['400', '404']));
    expect(events.parameters?.find((p) => p.name === 'last-event-id')?.in).toBe('header');
    const artifact = op('/v1/jobs/{id}/artifact');
    expect(artifact.responses['302']!.headers).toHaveProperty('location');
    expect(artifact.responses['302']!.content).toBeUndefined();
    expect(op('/readyz').responses['503']!.content!['application/json']).toBeDefined();
  });

  it('bounds the parameters as the server does', () => {
    const param = (path: string, name: string) => op(path).parameters!.find((p) => p.name === name)!.schema;
    expect(param('/v1/jobs', 'limit')).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
    expect(param('/v1/jobs/{id}/artifact', 'expires_in')).toMatchObject({
      type: 'integer',
      minimum: 60,
      maximum: 604800,
    });
    expect(param('/v1/jobs/{id}/logs', 'tail')).toMatchObject({ minimum: 0 });
    const prompt = (
      op('/v1/jobs', 'post') as unknown as {
        requestBody: { content: Record<string, { schema: { properties: { prompt: Record<string, unknown> } } }> };
      }
    ).requestBody.content['application/json']!.schema.properties.prompt;
    expect(prompt).toMatchObject({ type: 'string', minLength: 1, maxLength: 2000 });
  });

  it('is the committed docs/openapi.json (regenerate with npm run openapi)', async () => {
    const committed = JSON.parse(await readFile('docs/openapi.json', 'utf8')) as unknown;
    expect(svc.app!.swagger()).toEqual(committed);
  });

  it('passes redocly lint with no errors, served and committed', async () => {
    const served = join(svc.dataDir, 'openapi.json');
    await writeFile(served, JSON.stringify(svc.app!.swagger()));
    for (const file of [served, 'docs/openapi.json']) {
      // redocly exits non-zero on any error-level problem; the output names them.
      const { stdout, stderr } = await run('node_modules/.bin/redocly', ['lint', file, '--format', 'stylish'], {
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', CI: 'true' },
      }).catch((err: { stdout: string; stderr: string }) => {
        throw new Error(`redocly lint ${file} failed:\n${err.stdout}\n${err.stderr}`);
      });
      expect(`${stdout}${stderr}`).toMatch(/valid/i);
    }
  });
});

describe('the server keeps to the document (through the contract proxy)', () => {
  it('refuses what the document refuses, and accepts the boundaries it allows', async () => {
    const list = (q: string) => fetch(`${svc.url}/v1/jobs?${q}`, { headers: auth });
    for (const bad of ['limit=0', 'limit=101', 'limit=abc', 'limit=-1', 'status=done'])
      expect((await list(bad)).status, bad).toBe(400);
    for (const good of ['limit=1', 'limit=100', 'status=queued']) expect((await list(good)).status, good).toBe(200);

    const job = (await (await postJob(svc.url, { prompt: 'a boat' }, auth)).json()) as { id: string };
    const logs = (q: string) => fetch(`${svc.url}/v1/jobs/${job.id}/logs?${q}`, { headers: auth });
    expect((await logs('tail=-5')).status).toBe(400);
    expect((await logs('tail=0')).status).toBe(200);
    const artifact = (q: string) => fetch(`${svc.url}/v1/jobs/${job.id}/artifact?${q}`, { headers: auth });
    for (const bad of ['expires_in=0', 'expires_in=59', 'expires_in=604801'])
      expect((await artifact(bad)).status, bad).toBe(400);
    // In range but not finished yet: the documented 404, not a 400.
    expect((await artifact('expires_in=60')).status).toBe(404);
    expect((await artifact('expires_in=604800')).status).toBe(404);

    expect((await postJob(svc.url, { prompt: '' }, auth)).status).toBe(400);
    expect((await postJob(svc.url, { prompt: 'x'.repeat(2000) }, auth)).status).toBe(202);
    const events = await fetch(`${svc.url}/v1/jobs/${job.id}/events`, {
      headers: { ...auth, 'last-event-id': 'not-an-id' },
    });
    expect(events.status).toBe(400);
    expect((await fetch(`${svc.url}/v1/jobs/${UNKNOWN}/events`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${svc.url}/v1/jobs`)).status).toBe(401);
    for (const path of ['/', '/healthz', '/readyz', '/metrics', '/metrics/prometheus', '/openapi.json']) {
      expect((await fetch(`${svc.url}${path}`)).status, path).not.toBe(401);
    }
    expect(svc.contract.checked).toBeGreaterThan(20);
  });

  it('answers a wrong method on every known path, TRACE included, with 405 and Allow', async () => {
    for (const path of Object.keys(doc.paths)) {
      const concrete = path.replace('{id}', UNKNOWN);
      const documented = Object.keys(doc.paths[path]!).map((m) => m.toUpperCase());
      for (const method of ['TRACE', 'PUT', 'PATCH', 'DELETE', 'POST', 'GET'].filter((m) => !documented.includes(m))) {
        const res = await raw(method, concrete, auth);
        expect(res.status, `${method} ${concrete}`).toBe(405);
        expect(res.allow?.split(', ')).toEqual(expect.arrayContaining(documented));
        // In each context's own envelope: OpenAI's on /v1/videos and /v1/models, ttv's elsewhere.
        expect(JSON.parse(res.body)).toMatchObject(
          openAiShaped(path) ? { error: { code: 'method_not_allowed' } } : { error: 'MethodNotAllowed' },
        );
      }
    }
  });
});

describe('the checker itself', () => {
  it('reports an answer that breaks the document', () => {
    const checker = new ContractChecker(doc);
    const base = { query: new URLSearchParams(), headers: { ...auth }, body: Buffer.alloc(0) };
    const json = { 'content-type': 'application/json; charset=utf-8' };
    expect(
      checker
        .check({
          ...base,
          method: 'GET',
          path: `/v1/jobs/${UNKNOWN}`,
          status: 418,
          responseHeaders: json,
          responseBody: Buffer.from('{}'),
        })
        .join(),
    ).toMatch(/not documented/);
    expect(
      checker
        .check({
          ...base,
          method: 'GET',
          path: '/v1/jobs',
          status: 200,
          responseHeaders: json,
          responseBody: Buffer.from('{"jobs":[]}'),
        })
        .join(),
    ).toMatch(/schema/);
    expect(
      checker
        .check({
          ...base,
          method: 'GET',
          path: '/v1/jobs',
          query: new URLSearchParams('limit=0'),
          status: 200,
          responseHeaders: json,
          responseBody: Buffer.from('{"jobs":[],"next_cursor":null}'),
        })
        .join(),
    ).toMatch(/not refused/);
    expect(
      checker
        .check({
          ...base,
          method: 'PUT',
          path: '/healthz',
          status: 404,
          responseHeaders: json,
          responseBody: Buffer.from('{}'),
        })
        .join(),
    ).toMatch(/not 405/);
    expect(
      checker
        .check({
          ...base,
          method: 'GET',
          path: '/healthz',
          status: 200,
          responseHeaders: { 'content-type': 'text/plain' },
          responseBody: Buffer.from('ok'),
        })
        .join(),
    ).toMatch(/media type/);
    expect(
      checker.check({
        ...base,
        method: 'GET',
        path: '/v1/jobs',
        status: 200,
        responseHeaders: json,
        responseBody: Buffer.from('{"jobs":[],"next_cursor":null}'),
      }),
    ).toEqual([]);
  });
});
