// The `ttv` command: config check, flag validation, and serve refusing an unsafe bind.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TTV_BIN } from '../support/ttv-process.js';

const exec = promisify(execFile);
let dir: string;

async function ttv(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [TTV_BIN, ...args], {
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ttv config check', () => {
  it('prints the effective config with secrets redacted', async () => {
    const file = join(dir, 'ok.yaml');
    await writeFile(
      file,
      'segment_duration_seconds: 3\nsecurity:\n  auth_token: super-secret-token-value\nopenai_api_key: sk-live-abcdefghijklmnop\n',
    );
    const res = await ttv(['config', 'check', '--config', file], { TTV_PORT: '9123' });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/segment_duration_seconds: 3/);
    expect(res.stdout).toMatch(/port: 9123/);
    expect(res.stdout).not.toContain('super-secret-token-value');
    expect(res.stdout).not.toContain('sk-live-abcdefghijklmnop');
    expect(res.stdout).toContain('[REDACTED]');
  });

  it('prints errors naming the key and exits 2', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'segment_duration_seconds: -1\nserver:\n  port: 70000\n');
    const res = await ttv(['config', 'check', '--config', file]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/segment_duration_seconds/);
    expect(res.stderr).toMatch(/server\.port/);
  });

  it('checks the video backend chain: a default that cannot run is an error, a broken fallback a warning', async () => {
    const bad = join(dir, 'backend.yaml');
    await writeFile(bad, 'default_backend: RunwayML\n');
    const refused = await ttv(['config', 'check', '--config', bad], { RUNWAYML_API_SECRET: '' });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/default_backend: RunwayML cannot run: runway_ml\.api_key is required/);

    const warned = join(dir, 'fallback.yaml');
    await writeFile(
      warned,
      'default_backend: procedural\nsegment_duration_seconds: 6\nremote_api_settings:\n  fallback_backend: fal.ai\n  api_priority_order: [minimax]\n',
    );
    const ok = await ttv(['config', 'check', '--config', warned], {
      FAL_KEY: '',
      FAL_API_KEY: '',
      MINIMAX_API_KEY: 'mm-env-key-123456',
    });
    expect(ok.code).toBe(0);
    expect(ok.stderr).toMatch(/warning: fallback backend fal cannot run and will be skipped: fal\.api_key is required/);
    expect(ok.stderr).not.toMatch(/minimax/);
    expect(ok.stdout).not.toContain('mm-env-key-123456');

    const unknown = join(dir, 'unknown.yaml');
    await writeFile(unknown, 'remote_api_settings:\n  api_priority_order: [procedural, sora]\n');
    const named = await ttv(['config', 'check', '--config', unknown]);
    expect(named.code).toBe(2);
    expect(named.stderr).toMatch(/remote_api_settings\.api_priority_order\[1\]: unknown video backend "sora"/);
  });

  it('refuses a plan that would pay for segment 1 and then fail: a text-only model in chaining mode, DALL·E in keyframe mode', async () => {
    const textOnly = join(dir, 'text-only.yaml');
    await writeFile(
      textOnly,
      'default_backend: fal\ngeneration_mode: chaining\nsegment_duration_seconds: 8\nfal:\n  api_key: fal-key-0123456789\n  model: fal-ai/veo3\n',
    );
    const refused = await ttv(['config', 'check', '--config', textOnly]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      /generation_mode: generation_mode chaining starts every segment after the first on the previous segment's last frame, and fal \(fal\.model fal-ai\/veo3\) renders from text only/,
    );
    // `ttv serve` refuses to start on it too.
    const serve = await ttv(['serve', '--config', textOnly, '--port', '0', '--data-dir', join(dir, 'serve-data')]);
    expect(serve.code).toBe(2);
    expect(serve.stderr).toMatch(/renders from text only/);

    const dalle = join(dir, 'dalle.yaml');
    await writeFile(
      dalle,
      'generation_mode: keyframe\nimage_generation_model: dall-e-3\nopenai_api_key: sk-test-0123456789\n',
    );
    const noEdit = await ttv(['config', 'check', '--config', dalle]);
    expect(noEdit.code).toBe(2);
    expect(noEdit.stderr).toMatch(/image_generation_model: dall-e-3 cannot continue a keyframe from the previous one/);
  });

  it("warns where a vendor's polling floor raises polling_interval", async () => {
    const file = join(dir, 'floor.yaml');
    await writeFile(
      file,
      'default_backend: runway\nrunway_ml:\n  api_key: rw-key-0123456789\nremote_api_settings:\n  polling_interval: 1\n',
    );
    const res = await ttv(['config', 'check', '--config', file]);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(
      /warning: remote_api_settings\.polling_interval 1 s is below runway's polling floor: runway polls every 5 s/,
    );
  });

  it('names a missing config file', async () => {
    const res = await ttv(['config', 'check', '--config', join(dir, 'nope.yaml')]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/nope\.yaml/);
  });
});

describe('ttv serve flags', () => {
  it('rejects a bad --port naming the flag', async () => {
    const res = await ttv(['serve', '--port', 'eighty', '--data-dir', dir]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/--port/);
  });

  it('refuses to bind a public address without a token', async () => {
    const res = await ttv(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', dir]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/refusing to listen on 0\.0\.0\.0/);
  });

  it('rejects unknown commands, unknown flags and missing arguments with exit 2', async () => {
    expect((await ttv(['launch'])).code).toBe(2);
    expect((await ttv(['serve', '--colour'])).code).toBe(2);
    expect((await ttv(['submit'])).code).toBe(2);
    expect((await ttv(['status'])).code).toBe(2);
    expect((await ttv(['--version'])).code).toBe(0);
  });
});
