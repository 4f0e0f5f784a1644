// GET /v1/models over a real server: OpenAI's list shape (read by the official `openai` SDK's
// models.list()) with ttv's capability fields, listing the offline backend and the catalogued models
// of the vendors whose credentials are configured, retired ones left out; its auth is that of the
// other /v1 routes, with OpenAI's error envelope. /readyz lists a chain model that shuts down soon.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import OpenAI, { AuthenticationError } from 'openai';
import { startTestService, type TestService } from '../../support/test-service.js';
import { withContract, type ContractProxy } from '../../support/contract-proxy.js';
import { waitFor } from '../../support/wait-for.js';

const TOKEN = 'models-test-token-0123456789';

/** A date `days` from today, as the catalog writes dates. */
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

// An operator row: Runway's gen4.5 corrected to a deprecation 10 days from now (the chain runs on it),
// and a model ttv ships no row for.
const MODELS = [
  {
    backend: 'runway',
    id: 'gen4.5',
    protocol: 'runway-v1',
    modes: { text: { '16:9': '1280:720', '9:16': '720:1280' }, image: null, first_last: false },
    durations: { min: 2, max: 10 },
    duration_field: true,
    audio: 'none',
    usd_per_second: 0.12,
    max_prompt_length: 1000,
    lifecycle: { status: 'deprecated', shutdown: inDays(10), replacement: 'gen5' },
    source: { ref: 'operator notice', read: inDays(0) },
  },
  {
    backend: 'fal',
    id: 'fal-ai/some-new/text-to-video',
    protocol: 'fal-queue',
    modes: { text: { '16:9': '16:9' }, image: null, first_last: false },
    durations: { seconds: [5] },
    duration_field: true,
    audio: 'none',
    usd_per_second: 0.2,
    max_prompt_length: 2000,
    lifecycle: { status: 'preview' },
    source: { ref: 'fal model page', read: inDays(0) },
    wire: { duration_format: 'string', ratio_field: 'aspect_ratio' },
  },
];

let svc: TestService & { contract: ContractProxy };

beforeAll(async () => {
  svc = await withContract(
    await startTestService({
      security: { auth_token: TOKEN },
      default_backend: 'runway',
      segment_duration_seconds: 5,
      runway_ml: { api_key: 'test-runway-key-0123456789', model_version: 'gen4.5' },
      // The operator's gen4.5 row is text-only: chaining runs it only for one-segment plans (docs/vendor-behaviour.md).
      procedural: { max_segments: 1 },
      fal: { api_key: 'test-fal-key-0123456789' },
      // Vertex AI: the project selects it (the Veo backend is not in the chain, so no token is ever fetched).
      google_veo: { project_id: 'test-project', credentials_path: '/nonexistent/service-account.json' },
      models: MODELS,
    }),
  );
});
afterAll(async () => {
  await svc?.close();
});
afterEach(() => svc?.contract.assertClean());

interface Entry {
  id: string;
  object: string;
  owned_by: string;
  backend: string;
  created?: number;
  configured: boolean;
  credentials: boolean;
  origin: string;
  lifecycle: { status: string; shutdown?: string };
  modes: unknown;
  durations: unknown;
  source: { read: string };
}

async function list(): Promise<{ object: string; data: Entry[] }> {
  const res = await fetch(`${svc.url}/v1/models`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { object: string; data: Entry[] };
}

describe('GET /v1/models', () => {
  it('lists the offline backend and the models of the vendors with credentials, never a retired one', async () => {
    const body = await list();
    expect(body.object).toBe('list');
    expect(body.data.every((m) => m.object === 'model' && m.credentials)).toBe(true);
    expect(body.data[0]).toMatchObject({
      id: 'procedural',
      backend: 'procedural',
      owned_by: 'ttv',
      modes: { text: 'any', image: 'any', first_last: true },
    });
    const owners = new Set(body.data.map((m) => m.owned_by));
    expect(owners).toEqual(new Set(['ttv', 'runway', 'fal', 'google-vertex']));
    const ids = body.data.map((m) => m.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'gen4_turbo',
        'veo3.1',
        'fal-ai/veo3',
        'veo-3.1-generate-001',
        'veo-3.1-fast-generate-001',
        'fal-ai/some-new/text-to-video',
      ]),
    );
    // Retired (veo-3.0-*), and vendors without credentials (MiniMax, the Gemini API), are left out.
    expect(ids).not.toContain('veo-3.0-generate-001');
    expect(body.data.filter((m) => m.lifecycle.status === 'retired')).toEqual([]);
    expect(body.data.some((m) => m.backend === 'minimax' || m.owned_by === 'gemini-api')).toBe(false);
  });

  it('carries capabilities, lifecycle and source per model, and marks the one each backend is set to', async () => {
    const { data } = await list();
    const veo = data.find((m) => m.id === 'veo-3.1-generate-001')!;
    expect(veo).toMatchObject({
      backend: 'veo3',
      owned_by: 'google-vertex',
      created: Date.UTC(2025, 10, 17) / 1000,
      modes: { text: ['16:9', '9:16'], image: ['16:9', '9:16'], first_last: true },
      durations: { seconds: [4, 6, 8] },
      resolutions: ['720p', '1080p'],
      audio: 'optional',
      usd_per_second: 0.4,
      configured: true,
      config_key: 'google_veo.veo_model',
      lifecycle: { status: 'ga', note: expect.stringContaining('no shutdown date') },
      source: { ref: expect.any(String), read: '2026-12-06' },
    });
    expect(data.find((m) => m.id === 'gen4.5')).toMatchObject({
      configured: true,
      origin: 'config',
      lifecycle: { status: 'deprecated', shutdown: inDays(10) },
    });
    expect(data.find((m) => m.id === 'gen4_turbo')).toMatchObject({
      configured: false,
      origin: 'shipped',
      modes: { text: null },
    });
    expect(data.find((m) => m.id === 'fal-ai/minimax/hailuo-02/standard/image-to-video')).toMatchObject({
      modes: { image: 'follows-image' },
      configured: true,
    });
  });

  it("is read by the official openai SDK (models.list), and refuses a missing token in OpenAI's envelope", async () => {
    const client = new OpenAI({ apiKey: TOKEN, baseURL: `${svc.url}/v1`, maxRetries: 0 });
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual((await list()).data.map((m) => m.id));

    const anonymous = new OpenAI({ apiKey: 'wrong-token', baseURL: `${svc.url}/v1`, maxRetries: 0 });
    const err = await anonymous.models.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    const res = await fetch(`${svc.url}/v1/models`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { type: 'authentication_error', message: expect.any(String) } });
  });

  it("/v1/capabilities reads the same catalog (the configured row's durations and price)", async () => {
    const res = await fetch(`${svc.url}/v1/capabilities`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const caps = (await res.json()) as {
      backends: {
        id: string;
        durations: number[] | null;
        min_duration_seconds: number;
        max_duration_seconds: number;
        usd_per_second: number;
      }[];
    };
    expect(caps.backends.find((b) => b.id === 'runway')).toMatchObject({
      min_duration_seconds: 2,
      max_duration_seconds: 10,
      usd_per_second: 0.12,
    });
    // Each backend that can start names the catalog model it renders with (the dashboard offers it),
    // the row GET /v1/models marks configured; one that cannot start (Veo: no credentials file) names none.
    const all = caps.backends as unknown as {
      id: string;
      available: boolean;
      model: string | null;
      model_lifecycle: string | null;
    }[];
    // (Catalog rows only: the Videos-API names such as sora-2 carry maps_to and name no catalog model.)
    const configured = (await list()).data.filter(
      (m) => m.configured && m.backend !== 'procedural' && !('maps_to' in m),
    );
    for (const m of configured) {
      const backend = all.find((b) => b.id === m.backend)!;
      expect(backend).toMatchObject(
        backend.available ? { model: m.id, model_lifecycle: m.lifecycle.status } : { model: null },
      );
    }
    expect(all.find((b) => b.id === 'runway')).toMatchObject({ available: true, model: 'gen4.5' });
    expect(caps.backends.find((b) => b.id === 'procedural')).toMatchObject({ model: null });
  });
});

describe('/readyz', () => {
  it('warns of a chain model within 30 days of its shutdown, and stays ready', async () => {
    const body = await waitFor(async () => {
      const res = await fetch(`${svc.url}/readyz`);
      return res.status === 200 ? ((await res.json()) as { status: string; warnings: unknown[] }) : null;
    });
    expect(body.status).toBe('ready');
    expect(body.warnings).toEqual([
      {
        component: 'video_backend',
        reason: 'model_shutdown_soon',
        backend: 'runway',
        model: 'gen4.5',
        shutdown: inDays(10),
        message: expect.stringMatching(
          /^runway_ml\.model_version "gen4\.5" is deprecated and shuts down on .* \(in 10 days\).*gen5/,
        ),
      },
    ]);
  });
});
