// Health, readiness, metrics, docs and the root page over real HTTP.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../support/test-service.js';
import { withContract, type ContractProxy } from '../../support/contract-proxy.js';
import { waitFor } from '../../support/wait-for.js';

let svc: TestService & { contract: ContractProxy };

beforeAll(async () => {
  svc = await withContract(await startTestService());
});
afterAll(async () => {
  await svc?.close();
});
// Every request above goes through the OpenAPI contract proxy.
afterEach(() => svc?.contract.assertClean());

describe('health and readiness', () => {
  it('GET /healthz is always healthy', async () => {
    const res = await fetch(`${svc.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'healthy',
      version: '1.0.0',
      components: { api: 'healthy' },
      timestamp: expect.any(String),
    });
  });

  it('GET /readyz is ready with every component healthy and a live worker', async () => {
    const body = await waitFor(async () => {
      const res = await fetch(`${svc.url}/readyz`);
      return res.status === 200 ? ((await res.json()) as Record<string, unknown>) : null;
    });
    expect(body).toMatchObject({
      status: 'ready',
      components: {
        api: 'healthy',
        job_store: 'healthy',
        queue: 'healthy',
        artifact_store: 'healthy',
        workers: 'healthy',
      },
    });
    expect(body.live_workers).toBeGreaterThanOrEqual(1);
    expect(body.workers_blocked).toEqual([]);
  });

  it('GET /readyz is 503 not_ready when no worker is alive', async () => {
    const apiOnly = await startTestService({}, { worker: false });
    try {
      const res = await fetch(`${apiOnly.url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        status: 'not_ready',
        components: { workers: 'unhealthy', job_store: 'healthy' },
        live_workers: 0,
        workers_blocked: [],
      });
    } finally {
      await apiOnly.close();
    }
  });
});

describe('metrics', () => {
  it('serves Prometheus text with request and queue series', async () => {
    await fetch(`${svc.url}/v1/jobs`);
    const res = await fetch(`${svc.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/ttv_api_http_requests_total\{method="GET",route="\/v1\/jobs",code="200"\} [1-9]/);
    expect(text).toContain('ttv_api_request_duration_seconds_bucket');
    expect(text).toMatch(/ttv_api_queue_jobs\{status="queued"\} \d+/);
    expect(text).toMatch(/ttv_api_info\{version="1.0.0"\} 1/);
    const alias = await fetch(`${svc.url}/metrics/prometheus`);
    expect(await alias.text()).toContain('ttv_api_uptime_seconds');
  });

  it('counts each answer once in the request counter and the duration histogram, across scrapes', async () => {
    const sample = (text: string, line: RegExp) => Number(line.exec(text)?.[1] ?? NaN);
    const counted = /ttv_api_http_requests_total\{method="GET",route="\/v1\/models",code="200"\} (\d+)/;
    const inf = /ttv_api_request_duration_seconds_bucket\{le="\+Inf",method="GET",route="\/v1\/models"\} (\d+)/;
    const count = /ttv_api_request_duration_seconds_count\{method="GET",route="\/v1\/models"\} (\d+)/;
    const scrape = async () => (await fetch(`${svc.url}/metrics`)).text();
    for (let i = 0; i < 3; i += 1) expect((await fetch(`${svc.url}/v1/models`)).status).toBe(200);
    const first = await scrape();
    for (let i = 0; i < 2; i += 1) await fetch(`${svc.url}/v1/models`);
    const second = await scrape();
    expect(sample(second, counted) - sample(first, counted)).toBe(2);
    for (const text of [first, second]) {
      expect(sample(text, inf)).toBe(sample(text, counted));
      expect(sample(text, count)).toBe(sample(text, counted));
      const buckets = [
        ...text.matchAll(
          /ttv_api_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/v1\/models"\} (\d+)/g,
        ),
      ].map((m) => Number(m[1]));
      expect(buckets).toHaveLength(13);
      expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    }
    expect(second).toMatch(/ttv_api_request_duration_seconds_sum\{method="GET",route="\/v1\/models"\} \d/);
    expect(second).toMatch(/ttv_api_requests_by_protocol_total\{protocol="http\/1\.1"\} [1-9]/);
  });

  it('serves the JSON summary with Accept: application/json', async () => {
    const res = await fetch(`${svc.url}/metrics`, { headers: { accept: 'application/json' } });
    const body = (await res.json()) as Record<string, unknown>;
    for (const key of [
      'active_jobs',
      'queued_jobs',
      'total_jobs_processed',
      'average_processing_time',
      'uptime_seconds',
      'total_requests',
      'average_request_latency',
      'requests_per_second',
      'jobs_per_hour',
      'queue_depth',
      'status_code_distribution',
    ]) {
      expect(body).toHaveProperty(key);
    }
    expect(body.total_requests).toBeGreaterThan(0);
  });
});

describe('docs and root', () => {
  it('serves an OpenAPI document generated from the route schemas', async () => {
    const res = await fetch(`${svc.url}/openapi.json`);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/jobs',
        '/v1/jobs/{id}',
        '/v1/jobs/{id}/cancel',
        '/v1/jobs/{id}/logs',
        '/v1/jobs/{id}/artifact',
        '/healthz',
        '/readyz',
      ]),
    );
    const post = doc.paths['/v1/jobs']!.post as {
      requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
    };
    expect(post.requestBody.content['application/json']!.schema.properties).toHaveProperty('prompt');
    const ui = await fetch(`${svc.url}/docs`, { redirect: 'follow' });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toMatch(/swagger/i);
  });

  it('GET / is the page for browsers and the description for JSON clients', async () => {
    const html = await fetch(`${svc.url}/`, { headers: { accept: 'text/html' } });
    expect(html.headers.get('content-type')).toMatch(/text\/html/);
    const json = await fetch(`${svc.url}/`, { headers: { accept: 'application/json' } });
    // The Python server's name and description (upstream-api-spec §2.1); the version is ttv's.
    expect(await json.json()).toEqual({
      name: 'TTV Pipeline API',
      version: '1.0.0',
      description: 'REST API for text-to-video generation pipeline',
      docs_url: '/docs',
    });
  });
});
