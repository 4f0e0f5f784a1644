// The built `ttv` command and the model catalog: `ttv models --json` lists the whole catalog with
// lifecycles; `ttv config check`, `ttv serve` and `ttv worker` accept Vertex Veo 3.1 GA and refuse
// the retired Veo 3.0 (exit 2, naming its replacement); a model without a row is refused with the
// row to add, and accepted once the config's `models:` has it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTtv } from '../support/ttv-process.js';
import { writeServiceAccount } from '../support/service-account.js';

let dir: string;

const ttv = (args: string[]) => runTtv(args);

/** A Vertex AI config whose default backend is Veo with this model (no token is fetched by these commands). */
async function vertexConfig(name: string, model: string, extra = ''): Promise<string> {
  const file = join(dir, name);
  await writeFile(
    file,
    [
      `data_dir: ${join(dir, 'data')}`,
      'default_backend: veo3',
      'segment_duration_seconds: 8',
      'server: { port: 0 }',
      'google_veo:',
      '  project_id: test-project',
      `  credentials_path: ${join(dir, 'service-account.json')}`,
      `  veo_model: ${model}`,
      extra,
    ].join('\n'),
  );
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-cli-models-'));
  await writeServiceAccount(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ttv models', () => {
  it('--json lists the whole catalog with lifecycles, credentials and the configured model', async () => {
    const file = await vertexConfig('list.yaml', 'veo-3.1-generate-001');
    const r = await ttv(['models', '--json', '--config', file]);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as {
      object: string;
      data: {
        id: string;
        backend: string;
        object: string;
        owned_by: string;
        credentials: boolean;
        configured: boolean;
        lifecycle: { status: string; replacement?: string };
      }[];
    };
    expect(list.object).toBe('list');
    const byId = (id: string) => list.data.find((m) => m.id === id);
    expect(byId('veo-3.1-generate-001')).toMatchObject({
      object: 'model',
      backend: 'veo3',
      owned_by: 'google-vertex',
      lifecycle: { status: 'ga' },
      credentials: true,
      configured: true,
    });
    expect(byId('gemini-omni-1.1-flash')).toMatchObject({ owned_by: 'gemini-api', credentials: false });
    expect(byId('veo-3.0-generate-001')).toMatchObject({
      lifecycle: { status: 'retired', replacement: 'veo-3.1-generate-001' },
      configured: false,
    });
    expect(byId('gen4_turbo')).toMatchObject({ credentials: false });
  });

  it('prints a table naming the status, the credentials and the replacement', async () => {
    const r = await ttv(['models', '--config', await vertexConfig('table.yaml', 'veo-3.1-generate-001')]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^BACKEND +MODEL +STATUS +CREDENTIALS +SELECTED BY +DURATIONS \(S\) +USD\/S +REPLACEMENT \/ NOTE$/,
    );
    expect(lines.find((l) => /\bveo-3\.0-generate-001\b/.test(l))).toMatch(
      /retired 2026-06-30 +yes .*→ veo-3\.1-generate-001/,
    );
    expect(lines.find((l) => /\bveo-3\.1-generate-001\b/.test(l))).toMatch(/ ga +yes +google_veo\.veo_model /);
  });
});

describe('the lifecycle at config check and startup', () => {
  it('config check accepts Vertex Veo 3.1 GA', async () => {
    const r = await ttv(['config', 'check', '--config', await vertexConfig('v31.yaml', 'veo-3.1-generate-001')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('config check, serve and worker refuse the retired Veo 3.0 with exit 2, naming veo-3.1-generate-001', async () => {
    const file = await vertexConfig('v30.yaml', 'veo-3.0-generate-001');
    for (const args of [['config', 'check'], ['serve'], ['worker'], ['serve', '--no-worker']]) {
      const r = await ttv([...args, '--config', file]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(
        /^ttv: google_veo\.veo_model: "veo-3\.0-generate-001" is retired since 2026-06-30: .*set google_veo\.veo_model: veo-3\.1-generate-001/m,
      );
    }
  });

  it('a model without a row is refused with the row to add; with that row under models: it is accepted', async () => {
    const refused = await ttv(['config', 'check', '--config', await vertexConfig('new.yaml', 'veo-4.0-generate-001')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /google_veo\.veo_model "veo-4\.0-generate-001" has no row in ttv's model catalog for backend veo3 .*add its row under models:/,
    );
    expect(refused.stderr).toContain('docs/models.md');
    // The example the message prints, with its source filled in, is a row the config takes.
    const example = refused.stderr
      .slice(refused.stderr.indexOf('  models:\n'))
      .replace('YYYY-MM-DD', '2026-12-06')
      .split('\n')
      .map((l) => l.slice(2))
      .join('\n');
    const file = await vertexConfig('new-with-row.yaml', 'veo-4.0-generate-001', example);
    const accepted = await ttv(['config', 'check', '--config', file]);
    expect(accepted.stderr).toBe('');
    expect(accepted.code).toBe(0);
    const listed = JSON.parse((await ttv(['models', '--json', '--config', file])).stdout) as {
      data: { id: string; origin: string; configured: boolean }[];
    };
    expect(listed.data.find((m) => m.id === 'veo-4.0-generate-001')).toMatchObject({
      origin: 'config',
      configured: true,
    });
  });
});
