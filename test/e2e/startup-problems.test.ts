// Every startup problem a newcomer meets ends at once with exit 2, a `ttv:` line naming the path or
// flag, and what to do; nothing starts first (no worker on a port that is taken), nothing hangs.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TTV_BIN } from '../support/ttv-process.js';

let dir: string;
// How long this machine takes, right now, to load ttv and exit: the hang guard below is a multiple of
// it, so that a busy machine stretches the guard instead of failing the test.
let loadMs = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-startup-'));
  const startedAt = Date.now();
  const version = await ttv(['--version'], 600_000);
  expect(version.code).toBe(0);
  loadMs = Date.now() - startedAt;
}, 660_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A failing start does some checks beyond loading ttv; 10 loads of it are a hang. */
const hangGuardMs = () => 30_000 + 10 * loadMs;

/** Runs `ttv …`; killed after `limitMs` (then `killed` is true), so a hang fails the test instead of stalling it. */
async function ttv(
  args: string[],
  limitMs = hangGuardMs(),
): Promise<{ code: number | null; stderr: string; killed: boolean }> {
  const child = spawn(process.execPath, [TTV_BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TTV_CONFIG: '' },
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  child.stdout.resume();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, limitMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, stderr, killed };
}

async function config(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

// One process at a time: started all at once on a busy 2-core machine, they starved each other.
describe('startup problems', () => {
  it('a file given as the data dir', async () => {
    const file = await config('not-a-dir', 'x');
    const r = await ttv(['serve', '--port', '0', '--data-dir', file]);
    expect(r).toMatchObject({ code: 2, killed: false });
    expect(r.stderr).toMatch(
      /^ttv: data dir \(--data-dir \/ data_dir\) .*not-a-dir.* is a file, not a directory; .*--data-dir/m,
    );
  });

  it('a data dir that cannot be created (read-only file system), for `ttv worker` too', async () => {
    const r = await ttv(['worker', '--data-dir', '/sys/ttv-data']);
    expect(r).toMatchObject({ code: 2, killed: false });
    expect(r.stderr).toMatch(
      /^ttv: data dir \(--data-dir \/ data_dir\) \/sys\/ttv-data: cannot create \/sys\/ttv-data \(E[A-Z]+\); give a writable directory with --data-dir/m,
    );
  });

  it('--data-dir /proc/ttvdata returns within 5 s (no mkdir loop)', async () => {
    // 5 s beyond what a startup that fails at once takes right now (node loading ttv): on a busy
    // machine loading alone can take seconds, and the loop this guards against never returns at all.
    const file = await config('reference-file', 'x');
    const startedAt = Date.now();
    expect((await ttv(['serve', '--port', '0', '--data-dir', file])).code).toBe(2);
    const r = await ttv(['serve', '--port', '0', '--data-dir', '/proc/ttvdata'], 5_000 + (Date.now() - startedAt));
    expect(r).toMatchObject({ code: 2, killed: false });
    expect(r.stderr).toContain('ttv: data dir (--data-dir / data_dir) /proc/ttvdata: cannot create /proc/ttvdata');
  });

  it('a port in use: hints at --port, and no worker starts first', async () => {
    const blocker: Server = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as { port: number };
    try {
      const r = await ttv(['serve', '--port', String(port), '--data-dir', join(dir, 'port-data')]);
      expect(r).toMatchObject({ code: 2, killed: false });
      expect(r.stderr).toContain(`ttv: port ${port} on 127.0.0.1 is already in use (--port / server.port)`);
      expect(r.stderr).toContain('pick another port with --port');
      expect(r.stderr).not.toMatch(/worker \S+ started/);
      // The data dir this failed start created is gone again.
      expect(existsSync(join(dir, 'port-data'))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it('TLS files that are missing', async () => {
    const file = await config(
      'tls.yaml',
      `server: { tls: { cert_path: ${join(dir, 'missing-cert.pem')}, key_path: ${join(dir, 'missing-key.pem')} } }\n`,
    );
    const r = await ttv(['serve', '--port', '0', '--config', file, '--data-dir', join(dir, 'tls-data')]);
    expect(r).toMatchObject({ code: 2, killed: false });
    expect(r.stderr).toMatch(/^ttv: server\.tls\.cert_path: cannot read .*missing-cert\.pem \(ENOENT\)/m);
    expect(existsSync(join(dir, 'tls-data'))).toBe(false);
  });

  it('ffmpeg missing', async () => {
    const file = await config('ffmpeg.yaml', 'ffmpeg_path: /nonexistent/ffmpeg\n');
    const r = await ttv(['serve', '--port', '0', '--config', file, '--data-dir', join(dir, 'ffmpeg-data')]);
    expect(r).toMatchObject({ code: 2, killed: false });
    expect(r.stderr).toMatch(/^ttv: ffmpeg_path: cannot run "\/nonexistent\/ffmpeg" \(ENOENT\); install ffmpeg/m);
  });

  it('YAML errors name the file, line and column', async () => {
    const file = await config('bad.yaml', 'server:\n  port: 8000\n  host: [unclosed\n');
    const r = await ttv(['config', 'check', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^ttv: .*bad\.yaml: invalid YAML at line \d+, column \d+: /m);
  });

  it('unknown keys get the nearest known key', async () => {
    const top = await config('typo.yaml', 'segment_duraton_seconds: 3\n');
    expect((await ttv(['config', 'check', '--config', top])).stderr).toContain(
      'unknown key "segment_duraton_seconds" ignored (did you mean "segment_duration_seconds"?)',
    );
    const nested = await config('typo2.yaml', 'procedural: { widht: 320 }\n');
    const r = await ttv(['config', 'check', '--config', nested]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ttv: procedural.widht: unknown key (did you mean "width"?)');
  });

  it('config check names the silent fallbacks it can foresee', async () => {
    const file = await config(
      'fallback.yaml',
      'image_generation_model: gpt-image-1\nprompt_enhancement_model: gpt-4o\n',
    );
    const r = await ttv(['config', 'check', '--config', file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'image_generation_model: gpt-image-1 needs openai_api_key; every job will use the offline procedural images instead',
    );
    expect(r.stderr).toContain('prompt_enhancement_model: gpt-4o needs openai_api_key');
  });
});
