// Base of the vendor fakes: a loopback HTTP server that records requests (method, path, headers,
// raw body) and lets a test queue one-off failures per route ahead of the normal answer.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeLoopback, listenLoopback } from './loopback-server.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** When the request arrived (Date.now()). */
  at: number;
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
  /** Faults for the next clip downloads, one per download, then faithful answers. */
  readonly downloadFaults: DownloadMode[] = [];

  protected serveClip(res: ServerResponse, bytes: Buffer): void {
    serveVideo(res, bytes, this.downloadFaults.shift() ?? 'ok');
  }

  /** Resets recorded requests, scripts and faults between tests. */
  reset(): void {
    this.requests.length = 0;
    this.scripted.clear();
    this.downloadFaults.length = 0;
  }

  /** The next `count` requests to `route` (a path prefix) get `answer` instead of the normal one. */
  script(route: string, answer: ScriptedAnswer, count = 1): void {
    const list = this.scripted.get(route) ?? [];
    for (let i = 0; i < count; i += 1) list.push(answer);
    this.scripted.set(route, list);
  }

  async start(): Promise<string> {
    ({ server: this.server, url: this.url } = await listenLoopback((req, res) => void this.dispatch(req, res)));
    return this.url;
  }

  async stop(): Promise<void> {
    await closeLoopback(this.server);
  }

  protected abstract handle(req: RecordedRequest, res: ServerResponse): Promise<void> | void;

  protected send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req as AsyncIterable<Buffer>) chunks.push(c);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks),
      at: Date.now(),
    };
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

/** How a fake serves the next clip download: faithfully, or with one of the faults vendors' CDNs show. */
export type DownloadMode = 'ok' | 'truncated' | 'slow' | 'reset' | 'unavailable';

/**
 * Serves a clip as a CDN would (video/mp4, Content-Length), or with a fault: `truncated` announces
 * the full length and closes early, `slow` trickles the body in small delayed chunks, `reset`
 * destroys the socket before answering, `unavailable` answers 503 with Retry-After.
 */
export function serveVideo(res: ServerResponse, bytes: Buffer, mode: DownloadMode = 'ok'): void {
  if (mode === 'reset') {
    res.socket?.destroy();
    return;
  }
  if (mode === 'unavailable') {
    res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '0' });
    res.end('Service Unavailable');
    return;
  }
  res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': bytes.length });
  if (mode === 'truncated') {
    res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.socket?.destroy());
    return;
  }
  if (mode === 'slow') {
    let offset = 0;
    const step = Math.max(1, Math.ceil(bytes.length / 8));
    const tick = () => {
      if (res.destroyed) return;
      if (offset >= bytes.length) {
        res.end();
        return;
      }
      res.write(bytes.subarray(offset, offset + step));
      offset += step;
      setTimeout(tick, 50);
    };
    tick();
    return;
  }
  res.end(bytes);
}

let cachedMp4: Buffer | null = null;

/** A real, playable MP4 (H.264, 1 s, 160x90 at 12 fps): what the video fakes hand back. */
export function sampleMp4(): Buffer {
  if (cachedMp4) return cachedMp4;
  const dir = mkdtempSync(join(tmpdir(), 'ttv-mp4-'));
  try {
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=160x90:r=12:d=1',
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      '-movflags',
      '+faststart',
      join(dir, 'a.mp4'),
    ]);
    cachedMp4 = readFileSync(join(dir, 'a.mp4'));
    return cachedMp4;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sizedMp4s = new Map<string, Buffer>();

/** A real, playable MP4 (H.264, 1 s at 12 fps) of `width` x `height`: a vendor clip rendered at the ratio it was asked for. */
export function sampleMp4Of(width: number, height: number): Buffer {
  const key = `${width}x${height}`;
  const cached = sizedMp4s.get(key);
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'ttv-mp4-'));
  try {
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=s=${key}:r=12:d=1`,
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-movflags',
      '+faststart',
      join(dir, 'a.mp4'),
    ]);
    const mp4 = readFileSync(join(dir, 'a.mp4'));
    sizedMp4s.set(key, mp4);
    return mp4;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let cachedPng: Buffer | null = null;

/** A real PNG (ffmpeg's test pattern), what the image fakes send back. */
export function samplePng(): Buffer {
  if (cachedPng) return cachedPng;
  const dir = mkdtempSync(join(tmpdir(), 'ttv-png-'));
  try {
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x180:d=1',
      '-frames:v',
      '1',
      join(dir, 'a.png'),
    ]);
    cachedPng = readFileSync(join(dir, 'a.png'));
    return cachedPng;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const sizedPngs = new Map<string, Buffer>();

/** A real PNG of `width` x `height` (ffmpeg's test pattern): what an image vendor renders at a size it was asked for. */
export function pngOfSize(width: number, height: number): Buffer {
  const key = `${width}x${height}`;
  const cached = sizedPngs.get(key);
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'ttv-png-'));
  try {
    execFileSync('ffmpeg', [
      '-v',
      'error',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=s=${key}:d=1`,
      '-frames:v',
      '1',
      join(dir, 'a.png'),
    ]);
    const png = readFileSync(join(dir, 'a.png'));
    sizedPngs.set(key, png);
    return png;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Width and height from a PNG's IHDR chunk, or null when the bytes are not a PNG. */
export function pngSize(bytes: Buffer): { width: number; height: number } | null {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (
    bytes.length < 24 ||
    !bytes.subarray(0, 8).equals(signature) ||
    bytes.subarray(12, 16).toString('latin1') !== 'IHDR'
  )
    return null;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}
