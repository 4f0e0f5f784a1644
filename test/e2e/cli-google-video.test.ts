// The built `ttv config check` on Google video configs: a Gemini API key alone selects Gemini Omni
// and is accepted, Gemini Omni and Veo 3.1 each on the API that serves them are accepted, and a
// model on the wrong API is refused with exit 2 saying what to change — before any vendor call
// (config check makes none).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTtv } from '../support/ttv-process.js';
import { writeServiceAccount } from '../support/service-account.js';

let dir: string;

const ttv = (args: string[]) => runTtv(args);

/** A config whose default backend is Google video with this google_veo section. */
async function googleConfig(name: string, section: string[], segment = 6): Promise<string> {
  const file = join(dir, name);
  await writeFile(
    file,
    [
      `data_dir: ${join(dir, 'data')}`,
      'default_backend: veo3',
      `segment_duration_seconds: ${segment}`,
      'server: { port: 0 }',
      'google_veo:',
      ...section.map((l) => `  ${l}`),
    ].join('\n'),
  );
  return file;
}

const vertex = () => ['project_id: test-project', `credentials_path: ${join(dir, 'service-account.json')}`];
const gemini = ['api_key: AIza-cli-test-key-0123456789'];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-cli-google-'));
  await writeServiceAccount(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ttv config check, Google video', () => {
  it('accepts a Gemini API key alone (Gemini Omni by default), Omni named, and Omni 1.2 or Veo 3.1 on Vertex AI', async () => {
    const configs = [
      await googleConfig('key-only.yaml', gemini),
      await googleConfig('omni.yaml', [...gemini, 'veo_model: gemini-omni-1.1-flash', 'resolution: 1080p'], 10),
      await googleConfig('vertex-omni.yaml', [...vertex(), 'veo_model: gemini-omni-1.2-flash', 'max_duration: 15'], 12),
      await googleConfig('vertex-veo.yaml', [...vertex(), 'veo_model: veo-3.1-fast-generate-001', 'resolution: 720p']),
    ];
    for (const file of configs) {
      const r = await ttv(['config', 'check', '--config', file]);
      expect({ file, stderr: r.stderr, code: r.code }).toEqual({ file, stderr: '', code: 0 });
    }
  });

  it('refuses a model on the API that does not serve it with exit 2, saying what to change', async () => {
    const veoWithKey = await ttv([
      'config',
      'check',
      '--config',
      await googleConfig('veo-key.yaml', [...gemini, 'veo_model: veo-3.1-generate-001']),
    ]);
    expect(veoWithKey.code).toBe(2);
    expect(veoWithKey.stderr).toMatch(
      /google_veo\.veo_model "veo-3\.1-generate-001" is served by Vertex AI, not by the Gemini API .*remove google_veo\.api_key and set google_veo\.project_id and credentials_path.*the Gemini API serves gemini-omni-1\.1-flash/,
    );
    const omniOnVertex = await ttv([
      'config',
      'check',
      '--config',
      await googleConfig('omni-vertex.yaml', [...vertex(), 'veo_model: gemini-omni-1.1-flash']),
    ]);
    expect(omniOnVertex.code).toBe(2);
    expect(omniOnVertex.stderr).toMatch(
      /"gemini-omni-1\.1-flash" is served by the Gemini API, not by Vertex AI .*set google_veo\.api_key/,
    );
    const audio = await ttv([
      'config',
      'check',
      '--config',
      await googleConfig('omni-audio.yaml', [...gemini, 'generate_audio: true']),
    ]);
    expect(audio.code).toBe(2);
    expect(audio.stderr).toMatch(/google_veo\.generate_audio is a Vertex AI parameter/);
  });

  it("refuses the Gemini API's shut-down Veo and Omni preview ids with exit 2, naming gemini-omni-1.1-flash", async () => {
    for (const model of ['veo-3.1-generate-preview', 'gemini-omni-flash-preview']) {
      const r = await ttv([
        'config',
        'check',
        '--config',
        await googleConfig(`${model}.yaml`, [...gemini, `veo_model: ${model}`]),
      ]);
      expect({ model, code: r.code }).toEqual({ model, code: 2 });
      expect(r.stderr).toMatch(
        new RegExp(
          `google_veo\\.veo_model: "${model.replace(/\./g, '\\.')}" is retired since 2026-\\d\\d-\\d\\d: .*set google_veo\\.veo_model: gemini-omni-1\\.1-flash`,
        ),
      );
    }
  });

  it('a model without a row is told the rows of the configured API, and an example row of that API', async () => {
    const r = await ttv([
      'config',
      'check',
      '--config',
      await googleConfig('unknown.yaml', [...gemini, 'veo_model: gemini-omni-2.0-flash']),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /google_veo\.veo_model "gemini-omni-2\.0-flash" has no row in ttv's model catalog for backend veo3 \(catalogued: gemini-omni-1\.1-flash\)/,
    );
  });
});
