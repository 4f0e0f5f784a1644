// Starts a real ttv service (API on an ephemeral loopback port, SQLite in a temp dir, real ffmpeg)
// inside the test process, and tears it down afterwards.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { configSchema } from '../../src/config/schema.js';
import { startService, type Service } from '../../src/service.js';
import { deepMerge } from '../../src/config/load-config.js';

export interface TestService extends Service {
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

/** Small, fast clips: 160x90 at 12 fps, 1 s segments. */
export const FAST_PIPELINE = {
  segment_duration_seconds: 1,
  procedural: { width: 160, height: 90, fps: 12 },
};

export async function startTestService(
  overrides: Record<string, unknown> = {},
  options: { api?: boolean; worker?: boolean; logger?: Logger } = {},
): Promise<TestService> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ttv-test-'));
  const raw = deepMerge(
    { data_dir: dataDir, server: { host: '127.0.0.1', port: 0 }, logging: { level: 'silent' }, ...FAST_PIPELINE },
    overrides,
  );
  const config = configSchema.parse(raw);
  const service = await startService({
    config,
    api: options.api ?? true,
    worker: options.worker ?? true,
    logger: options.logger ?? pino({ level: 'silent' }),
  });
  return {
    ...service,
    url: service.url ?? '',
    dataDir,
    async close() {
      await service.stop();
      await rm(dataDir, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 }); // retried: a Redis store may still write redis-stores.json as it closes
    },
  };
}

export async function postJob(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
