// Base of the vendor fakes: a loopback HTTP server that records requests (method, path, headers,
// raw body) and lets a test queue one-off failures per route ahead of the normal answer.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface ScriptedAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export abstract class FakeHttpServer {
  readonly requests: RecordedRequest[] = [];
  private readonly scripted = new Map<string, ScriptedAnswer[]>();
  private server: Server | null = null;
  url = '';

  /** The next `count` requests to `route` (a path prefix) get `answer` instead of the normal one. */
  script(route: string, answer: ScriptedAnswer, count = 1): void {
    const list = this.scripted.get(route) ?? [];
    for (let i = 0; i < count; i += 1) list.push(answer);
    this.scripted.set(route, list);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.dispatch(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  protected abstract handle(req: RecordedRequest, res: ServerResponse): Promise<void> | void;

  protected send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
    res.end(text);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    const recorded: RecordedRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks) };
    this.requests.push(recorded);
    for (const [route, answers] of this.scripted) {
      if (recorded.path.startsWith(route) && answers.length > 0) {
        const answer = answers.shift()!;
        return this.send(res, answer.status, answer.body ?? {}, answer.headers);
      }
    }
    try {
      await this.handle(recorded, res);
    } catch (err) {
      this.send(res, 500, { error: { message: (err as Error).message } });
    }
  }
}

let cachedPng: Buffer | null = null;

/** A real PNG (ffmpeg's test pattern), what the image fakes send back. */
export function samplePng(): Buffer {
  if (cachedPng) return cachedPng;
  const dir = mkdtempSync(join(tmpdir(), 'ttv-png-'));
  try {
    execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc2=s=320x180:d=1', '-frames:v', '1', join(dir, 'a.png')]);
    cachedPng = readFileSync(join(dir, 'a.png'));
    return cachedPng;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
