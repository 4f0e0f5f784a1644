// Writes the OpenAPI document the API serves at /openapi.json to docs/openapi.json (or the path given),
// from the built routes (run `npm run build` first; `npm run openapi` does both). The copy is made with
// bearer auth configured, so the /v1 operations show their security requirement.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { configSchema } from '../dist/config/schema.js';
import { startService } from '../dist/service.js';

const out = process.argv[2] ?? 'docs/openapi.json';
const dataDir = await mkdtemp(join(tmpdir(), 'ttv-openapi-'));
try {
  const config = configSchema.parse({
    data_dir: dataDir,
    server: { host: '127.0.0.1', port: 0 },
    security: { auth_token: 'documented-token-placeholder' },
    logging: { level: 'silent' },
  });
  const service = await startService({ config, api: true, worker: false, logger: pino({ level: 'silent' }) });
  try {
    await writeFile(out, `${JSON.stringify(service.app.swagger(), null, 2)}\n`);
  } finally {
    await service.stop();
  }
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
console.log(`wrote ${out}`);
