// `ttv submit --wait`, `status`, `logs`, `cancel`, `download` against a live server.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../support/test-service.js';
import { TTV_BIN } from '../support/ttv-process.js';

const exec = promisify(execFile);
const TOKEN = 'cli-test-token-0123456789';
let svc: TestService;
let dir: string;

async function ttv(args: string[], server = svc.url) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [TTV_BIN, ...args, '--server', server, '--token', TOKEN], {
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(async () => {
  svc = await startTestService({ security: { auth_token: TOKEN } });
  dir = await mkdtemp(join(tmpdir(), 'ttv-cli-client-'));
});
afterAll(async () => {
  await svc?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('ttv client commands', () => {
  it('submit --wait shows progress and downloads a playable MP4', async () => {
    const out = join(dir, 'video.mp4');
    const res = await ttv(['submit', 'A boat sails. The wind turns.', '--wait', '--out', out]);
    expect(res.code).toBe(0);
    const id = res.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.stderr).toMatch(/\] 100% done/);
    expect(res.stderr).toMatch(/\]\s+\d+% segments/);
    expect(res.stderr).toContain(`job ${id} finished`);
    expect((await stat(out)).size).toBeGreaterThan(1000);
    const { stdout } = await exec('ffprobe', [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-show_entries',
      'stream=codec_name:format=duration',
      '-of',
      'json',
      out,
    ]);
    const probe = JSON.parse(stdout) as { streams: { codec_name: string }[]; format: { duration: string } };
    expect(probe.streams[0]!.codec_name).toBe('h264');
    expect(Math.abs(Number(probe.format.duration) - 2)).toBeLessThanOrEqual(0.2);

    const status = await ttv(['status', id]);
    expect(JSON.parse(status.stdout)).toMatchObject({ id, status: 'finished', progress: 100 });
    const logs = await ttv(['logs', id, '--tail', '3']);
    expect(logs.stdout.trim().split('\n')).toHaveLength(3);
    const again = join(dir, 'again.mp4');
    expect((await ttv(['download', id, '--out', again])).code).toBe(0);
    expect((await stat(again)).size).toBe((await stat(out)).size);
  });

  it('an option flag a default server refuses names the server setting that allows it', async () => {
    const refused = await ttv(['submit', 'Longer, please.', '--duration', '8']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/options.*not allowed on this server.*server\.job_options/);
  });

  it('cancel, and clear errors for bad ids, bad tokens and an unreachable server', async () => {
    const slow = await startTestService({
      security: { auth_token: TOKEN },
      procedural: { simulated_latency_seconds: 30 },
    });
    let id: string;
    try {
      id = (await ttv(['submit', 'To be canceled.'], slow.url)).stdout.trim();
      const canceled = await ttv(['cancel', id], slow.url);
      expect(canceled.code).toBe(0);
      expect(JSON.parse(canceled.stdout).status).toBe('canceled');
    } finally {
      await slow.close();
    }
    const finished = (await ttv(['submit', 'Done before the cancel.', '--wait'])).stdout.trim();
    const conflict = await ttv(['cancel', finished]);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/Conflict: .*terminal status: finished/);
    const missing = await ttv(['status', '00000000-0000-4000-8000-000000000000']);
    expect(missing.stderr).toMatch(/JobNotFound/);
    const wrongToken = await exec(process.execPath, [
      TTV_BIN,
      'status',
      id,
      '--server',
      svc.url,
      '--token',
      'nope',
    ]).catch((e: { code: number; stderr: string }) => e);
    expect((wrongToken as { stderr: string }).stderr).toMatch(
      /Unauthorized.*--token or the TTV_TOKEN environment variable/,
    );
    const down = await exec(process.execPath, [TTV_BIN, 'status', id, '--server', 'http://127.0.0.1:9']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((down as { code: number }).code).toBe(1);
    expect((down as { stderr: string }).stderr).toMatch(/cannot reach/);
  });

  it('logs --follow --tail N prints the newest N, follows, and ends on the final status line with exit 0 when canceled', async () => {
    const slow = await startTestService({
      security: { auth_token: TOKEN },
      procedural: { simulated_latency_seconds: 30 },
    });
    try {
      const id = (await ttv(['submit', 'Followed, then canceled.'], slow.url)).stdout.trim();
      const kept = (await ttv(['logs', id, '--tail', '1000'], slow.url)).stdout.trim().split('\n');
      // Cancel once the follower has printed its tail, so the tail is read before the cancel lands.
      const follower = execFile(process.execPath, [
        TTV_BIN,
        'logs',
        id,
        '--follow',
        '--tail',
        '1',
        '--server',
        slow.url,
        '--token',
        TOKEN,
      ]);
      let stdout = '';
      const printedTail = new Promise<void>((resolve) =>
        follower.stdout!.on('data', (c: Buffer) => {
          stdout += c.toString();
          if (stdout.includes('\n')) resolve();
        }),
      );
      const exited = new Promise<number | null>((resolve) => follower.on('close', (code) => resolve(code)));
      await Promise.race([printedTail, exited]);
      await ttv(['cancel', id], slow.url);
      expect(await exited).toBe(0);
      const lines = stdout.trim().split('\n');
      expect(lines[0]).toBe(kept.at(-1));
      // Each kept line at most once: the replayed journal does not print it again.
      for (const line of kept) expect(lines.filter((l) => l === line).length).toBeLessThanOrEqual(1);
      if (kept.length > 1) expect(lines).not.toContain(kept[0]);
      expect(lines.at(-1)).toMatch(new RegExp(`^job ${id} canceled`));
    } finally {
      await slow.close();
    }
  });

  it("generate applies the API's prompt rules", async () => {
    const res = await exec(process.execPath, [TTV_BIN, 'generate', 'x'.repeat(3000)]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect((res as { code: number }).code).toBe(2);
    expect((res as { stderr: string }).stderr).toContain('ttv: prompt: must be at most 2000 characters');
  });
});
