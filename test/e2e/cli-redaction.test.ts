// The `ttv` client's output goes through the same redaction as the server's sinks: whatever a server
// (or a vendor message relayed by it) puts in a job's error or log lines, the terminal never shows a
// token, a key or a signed-URL parameter. The server here is a hostile stand-in that echoes them.
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TTV_BIN } from '../support/ttv-process.js';

const run = promisify(execFile);
const ID = '0f0e0d0c-0b0a-4909-8807-060504030201';
const TOKEN = 'client-token-4b1d9e7f2c';
const VENDOR_KEY = 'sk-live-9f8e7d6c5b4a39281706f5e4';

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const echoed = `vendor said: Authorization: Bearer ${VENDOR_KEY} (you sent ${req.headers.authorization ?? 'nothing'})`;
    res.setHeader('content-type', 'application/json');
    if (req.url === `/v1/jobs/${ID}`) {
      res.end(
        JSON.stringify({
          id: ID,
          status: 'failed',
          stage: 'segments',
          progress: 50,
          prompt: 'p',
          created_at: new Date().toISOString(),
          started_at: null,
          finished_at: null,
          gcs_uri: null,
          artifact_uri: null,
          error: echoed,
          queue_position: null,
          estimated_cost_usd: null,
        }),
      );
    } else if (req.url?.startsWith(`/v1/jobs/${ID}/logs`)) {
      res.end(
        JSON.stringify({
          lines: [
            `[2026-12-01T00:00:00.000Z] ${echoed}`,
            '[2026-12-01T00:00:01.000Z] url https://x.example/v.mp4?X-Goog-Signature=abcdef0123',
          ],
        }),
      );
    } else {
      res.statusCode = 404;
      res.end('{}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('ttv client output redaction', () => {
  it('scrubs the token it holds, vendor keys and signatures from status and logs output', async () => {
    for (const args of [
      ['status', ID],
      ['logs', ID],
    ]) {
      const { stdout, stderr } = await run(process.execPath, [
        TTV_BIN,
        ...args,
        '--server',
        url,
        '--token',
        TOKEN,
      ]).catch((err) => err as { stdout: string; stderr: string });
      const output = stdout + stderr;
      expect(output).toContain('vendor said');
      expect(output).toContain('[REDACTED]');
      expect(output).not.toContain(TOKEN);
      expect(output).not.toContain(VENDOR_KEY);
      expect(output).not.toContain('abcdef0123');
    }
  });
});
