// A protocol-faithful fake of the Google Cloud Storage JSON API subset ttv uses, on loopback:
// multipart and resumable uploads (Content-Range chunks, 308 + Range, status queries, resuming
// after a connection dropped mid-chunk), object metadata with md5Hash/crc32c, media download,
// delete, bucket metadata, and V4 signed-URL downloads whose signature is checked with the service
// account's public key. Faults can be injected per request: status codes, resets, slow responses.
import { createHash, createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { closeLoopback, listenLoopback } from '../shared/loopback-server.js';
import { CRC32C } from '@google-cloud/storage';

export interface StoredObject {
  name: string;
  bytes: Buffer;
  contentType: string;
  generation: number;
  metadata: Record<string, unknown>;
}

export type Fault =
  | { status: number; headers?: Record<string, string> }
  | { reset: true }
  /** Read this many bytes of the request body, keep them (resumable), then drop the connection. */
  | { dropAfterBytes: number }
  | { delayMs: number };

interface ResumableSession {
  bucket: string;
  name: string;
  contentType: string;
  received: Buffer;
  total: number | null;
  /** X-Upload-Content-Length given when the session was opened. */
  declaredTotal: number | null;
  done: boolean;
}

export interface FakeGcsOptions {
  buckets: string[];
  /** PEM of the service account's public key, to verify V4 signed URLs. */
  publicKeyPem?: string;
  /**
   * Strict total size, as some emulators need it: a chunk must name the object's total
   * (`bytes a-b/TOTAL`, never `/*`) and it must match X-Upload-Content-Length when that was given.
   */
  requireTotalSize?: boolean;
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('base64');
}

function crc32c(bytes: Buffer): string {
  const c = new CRC32C();
  c.update(bytes);
  return c.toString();
}

function readBody(req: IncomingMessage, limit?: number): Promise<{ body: Buffer; dropped: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    req.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (limit !== undefined && size + chunk.length >= limit) {
        chunks.push(chunk.subarray(0, limit - size));
        settled = true;
        req.pause();
        resolve({ body: Buffer.concat(chunks), dropped: true });
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    req.on('end', () => {
      if (!settled) {
        settled = true;
        resolve({ body: Buffer.concat(chunks), dropped: false });
      }
    });
    req.on('error', (err) => {
      if (!settled) {
        settled = true;
        reject(err);
      }
    });
  });
}

export class FakeGcsServer {
  readonly objects = new Map<string, StoredObject>();
  /** Requests as "METHOD path?query", for assertions. */
  readonly requests: string[] = [];
  private readonly faults: { match: (req: IncomingMessage) => boolean; fault: Fault }[] = [];
  private readonly sessions = new Map<string, ResumableSession>();
  private readonly buckets: Set<string>;
  private readonly publicKey: KeyObject | null;
  private server: Server | null = null;
  private generation = 1;
  private sessionSeq = 0;
  url = '';

  constructor(options: FakeGcsOptions) {
    this.buckets = new Set(options.buckets);
    this.publicKey = options.publicKeyPem ? createPublicKey(options.publicKeyPem) : null;
    this.requireTotalSize = options.requireTotalSize ?? false;
  }

  private readonly requireTotalSize: boolean;

  async start(): Promise<string> {
    ({ server: this.server, url: this.url } = await listenLoopback((req, res) => {
      this.handle(req, res).catch((err: Error) => {
        if (!res.headersSent) this.json(res, 500, { error: { code: 500, message: err.message } });
      });
    }));
    return this.url;
  }

  async stop(): Promise<void> {
    await closeLoopback(this.server);
  }

  /** The next request matching `match` suffers `fault` (once). */
  inject(fault: Fault, match: (req: IncomingMessage) => boolean = () => true): void {
    this.faults.push({ match, fault });
  }

  object(bucket: string, name: string): StoredObject | undefined {
    return this.objects.get(`${bucket}/${name}`);
  }

  private takeFault(req: IncomingMessage): Fault | null {
    const i = this.faults.findIndex((f) => f.match(req));
    if (i < 0) return null;
    return this.faults.splice(i, 1)[0]!.fault;
  }

  private json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=UTF-8',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  }

  private error(res: ServerResponse, status: number, message: string): void {
    this.json(res, status, {
      error: {
        code: status,
        message,
        errors: [{ message, domain: 'global', reason: status === 404 ? 'notFound' : 'invalid' }],
      },
    });
  }

  private resource(bucket: string, o: StoredObject): Record<string, unknown> {
    return {
      kind: 'storage#object',
      id: `${bucket}/${o.name}/${o.generation}`,
      selfLink: `${this.url}/storage/v1/b/${bucket}/o/${encodeURIComponent(o.name)}`,
      mediaLink: `${this.url}/download/storage/v1/b/${bucket}/o/${encodeURIComponent(o.name)}?generation=${o.generation}&alt=media`,
      name: o.name,
      bucket,
      generation: String(o.generation),
      metageneration: '1',
      contentType: o.contentType,
      storageClass: 'STANDARD',
      size: String(o.bytes.length),
      md5Hash: md5(o.bytes),
      crc32c: crc32c(o.bytes),
      etag: md5(o.bytes),
      timeCreated: new Date().toISOString(),
      updated: new Date().toISOString(),
      ...o.metadata,
    };
  }

  private store(
    bucket: string,
    name: string,
    bytes: Buffer,
    contentType: string,
    metadata: Record<string, unknown>,
  ): StoredObject {
    const object: StoredObject = { name, bytes, contentType, generation: this.generation++, metadata };
    this.objects.set(`${bucket}/${name}`, object);
    return object;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.route(req, res);
    } catch (err) {
      this.lastError = err as Error;
      throw err;
    }
  }

  /** The last exception inside a handler, for debugging a test. */
  lastError: Error | null = null;

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    this.requests.push(
      `${req.method} ${url.pathname}${url.search}${req.headers['content-range'] ? ` [${String(req.headers['content-range'])}]` : ''}`,
    );
    const fault = this.takeFault(req);
    if (fault && 'delayMs' in fault) await new Promise((r) => setTimeout(r, fault.delayMs));
    if (fault && 'reset' in fault) {
      req.socket.destroy();
      return;
    }
    if (fault && 'status' in fault) {
      await readBody(req);
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(JSON.stringify({ error: { code: fault.status, message: 'injected fault' } }));
      return;
    }
    const dropAfter = fault && 'dropAfterBytes' in fault ? fault.dropAfterBytes : undefined;
    const path = url.pathname;
    let m: RegExpExecArray | null;

    if (req.method === 'POST' && (m = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(path))) {
      const bucket = decodeURIComponent(m[1]!);
      if (!this.buckets.has(bucket)) return this.error(res, 404, 'The specified bucket does not exist.');
      const uploadType = url.searchParams.get('uploadType');
      if (uploadType === 'multipart') return this.multipart(req, res, bucket);
      if (uploadType === 'resumable') {
        const meta = JSON.parse((await readBody(req)).body.toString() || '{}') as {
          name?: string;
          contentType?: string;
        };
        const name = url.searchParams.get('name') ?? meta.name;
        if (!name) return this.error(res, 400, 'Required parameter: name');
        const id = `session-${++this.sessionSeq}`;
        this.sessions.set(id, {
          bucket,
          name,
          contentType: meta.contentType ?? String(req.headers['x-upload-content-type'] ?? 'application/octet-stream'),
          received: Buffer.alloc(0),
          total: null,
          declaredTotal: /^\d+$/.test(String(req.headers['x-upload-content-length'] ?? ''))
            ? Number(req.headers['x-upload-content-length'])
            : null,
          done: false,
        });
        res.writeHead(200, {
          location: `${this.url}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o?uploadType=resumable&upload_id=${id}`,
          'content-length': 0,
        });
        res.end();
        return;
      }
      return this.error(res, 400, `unsupported uploadType ${uploadType}`);
    }

    if (req.method === 'PUT' && /^\/upload\/storage\/v1\/b\/[^/]+\/o$/.test(path)) {
      return this.resumableChunk(req, res, url.searchParams.get('upload_id') ?? '', dropAfter);
    }

    if ((m = /^\/storage\/v1\/b\/([^/]+)$/.exec(path)) && req.method === 'GET') {
      const bucket = decodeURIComponent(m[1]!);
      if (!this.buckets.has(bucket)) return this.error(res, 404, 'The specified bucket does not exist.');
      return this.json(res, 200, {
        kind: 'storage#bucket',
        id: bucket,
        name: bucket,
        location: 'US',
        storageClass: 'STANDARD',
      });
    }

    if ((m = /^\/(?:download\/)?storage\/v1\/b\/([^/]+)\/o\/(.+)$/.exec(path))) {
      const bucket = decodeURIComponent(m[1]!);
      const object = this.object(bucket, decodeURIComponent(m[2]!));
      if (req.method === 'DELETE') {
        if (!object) return this.error(res, 404, 'No such object');
        this.objects.delete(`${bucket}/${object.name}`);
        res.writeHead(204).end();
        return;
      }
      if (!object) return this.error(res, 404, `No such object: ${bucket}/${decodeURIComponent(m[2]!)}`);
      if (url.searchParams.get('alt') === 'media') return this.media(req, res, object);
      return this.json(res, 200, this.resource(bucket, object));
    }

    // V4 signed URL: /{bucket}/{object}?X-Goog-Algorithm=…
    if (req.method === 'GET' && (m = /^\/([^/]+)\/(.+)$/.exec(path)) && url.searchParams.has('X-Goog-Signature')) {
      const verdict = this.verifySigned(req, url);
      if (verdict !== 'ok') {
        res.writeHead(verdict === 'expired' ? 400 : 403, { 'content-type': 'application/xml' });
        res.end(
          `<?xml version='1.0' encoding='UTF-8'?><Error><Code>${verdict === 'expired' ? 'ExpiredToken' : 'SignatureDoesNotMatch'}</Code></Error>`,
        );
        return;
      }
      const object = this.object(decodeURIComponent(m[1]!), decodeURIComponent(m[2]!));
      if (!object) return this.error(res, 404, 'No such object');
      const disposition = url.searchParams.get('response-content-disposition');
      return this.media(req, res, object, disposition ? { 'content-disposition': disposition } : {});
    }
    this.error(res, 404, `Not Found: ${req.method} ${path}`);
  }

  private media(
    req: IncomingMessage,
    res: ServerResponse,
    object: StoredObject,
    extra: Record<string, string> = {},
  ): void {
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    const headers = {
      'content-type': object.contentType,
      'x-goog-hash': `crc32c=${crc32c(object.bytes)},md5=${md5(object.bytes)}`,
      'x-goog-generation': String(object.generation),
      'x-goog-stored-content-length': String(object.bytes.length),
      ...extra,
    };
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), object.bytes.length - 1) : object.bytes.length - 1;
      res.writeHead(206, {
        ...headers,
        'content-range': `bytes ${start}-${end}/${object.bytes.length}`,
        'content-length': end - start + 1,
      });
      res.end(object.bytes.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': object.bytes.length });
    res.end(object.bytes);
  }

  private async multipart(req: IncomingMessage, res: ServerResponse, bucket: string): Promise<void> {
    const boundary = /boundary="?([^";]+)"?/.exec(String(req.headers['content-type']))?.[1];
    if (!boundary) return this.error(res, 400, 'multipart boundary missing');
    const { body } = await readBody(req);
    const delimiter = Buffer.from(`--${boundary}`);
    const parts: Buffer[] = [];
    let start = body.indexOf(delimiter);
    while (start >= 0) {
      const next = body.indexOf(delimiter, start + delimiter.length);
      if (next < 0) break;
      parts.push(body.subarray(start + delimiter.length + 2, next - 2)); // strip CRLFs
      start = next;
    }
    const split = (part: Buffer) => {
      const sep = part.indexOf('\r\n\r\n');
      return { head: part.subarray(0, sep).toString(), data: part.subarray(sep + 4) };
    };
    if (parts.length < 2) return this.error(res, 400, 'multipart body needs metadata and media parts');
    const meta = JSON.parse(split(parts[0]!).data.toString()) as {
      name?: string;
      contentType?: string;
      [k: string]: unknown;
    };
    const name = new URL(req.url ?? '/', this.url).searchParams.get('name') ?? meta.name;
    if (!name) return this.error(res, 400, 'Required parameter: name');
    const media = split(parts[1]!);
    const contentType =
      meta.contentType ?? /content-type:\s*([^\r\n]+)/i.exec(media.head)?.[1] ?? 'application/octet-stream';
    const object = this.store(bucket, name, Buffer.from(media.data), contentType, {});
    this.json(res, 200, this.resource(bucket, object));
  }

  private async resumableChunk(
    req: IncomingMessage,
    res: ServerResponse,
    id: string,
    dropAfter: number | undefined,
  ): Promise<void> {
    const session = this.sessions.get(id);
    if (!session) return this.error(res, 404, 'No such upload session');
    const rangeHeader = String(req.headers['content-range'] ?? '');
    const { body, dropped } = await readBody(req, dropAfter);
    const status = /^bytes \*\/(\d+|\*)$/.exec(rangeHeader);
    const chunk = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(rangeHeader);
    if (chunk) {
      if (this.requireTotalSize && chunk[3] === '*')
        return this.error(res, 400, 'Content-Range must name the total size (bytes a-b/TOTAL)');
      if (chunk[3] !== '*' && session.declaredTotal !== null && Number(chunk[3]) !== session.declaredTotal) {
        return this.error(
          res,
          400,
          `Content-Range total ${chunk[3]} differs from X-Upload-Content-Length ${session.declaredTotal}`,
        );
      }
      if (chunk[3] !== '*' && Number(chunk[2]) >= Number(chunk[3]))
        return this.error(res, 400, 'Content-Range ends past the total size');
      const first = Number(chunk[1]);
      if (first !== session.received.length) {
        if (first > session.received.length)
          return this.error(res, 400, `expected offset ${session.received.length}, got ${first}`);
        // The client resends bytes the server already has: keep only the new ones.
      }
      const fresh = body.subarray(Math.max(0, session.received.length - first));
      session.received = Buffer.concat([session.received, fresh]);
      if (chunk[3] !== '*') session.total = Number(chunk[3]);
    } else if (!status && rangeHeader === '' && body.length > 0) {
      session.received = Buffer.concat([session.received, body]);
      session.total = session.received.length;
    } else if (status && status[1] !== '*') {
      session.total = Number(status[1]);
    }
    if (dropped) {
      req.socket.destroy();
      return;
    }
    if (session.total !== null && session.received.length >= session.total) {
      if (!session.done) {
        session.done = true;
        this.store(session.bucket, session.name, session.received, session.contentType, {});
      }
      return this.json(res, 200, this.resource(session.bucket, this.object(session.bucket, session.name)!));
    }
    const headers: Record<string, string> = { 'content-length': '0' };
    if (session.received.length > 0) headers.range = `bytes=0-${session.received.length - 1}`;
    res.writeHead(308, headers);
    res.end();
  }

  /** Rebuilds the V4 canonical request and checks the signature with the service account's key. */
  private verifySigned(req: IncomingMessage, url: URL): 'ok' | 'expired' | 'invalid' {
    if (!this.publicKey) return 'invalid';
    const q = url.searchParams;
    if (q.get('X-Goog-Algorithm') !== 'GOOG4-RSA-SHA256') return 'invalid';
    const date = q.get('X-Goog-Date') ?? '';
    const expires = Number(q.get('X-Goog-Expires'));
    const signed = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(date);
    if (!signed || !Number.isFinite(expires)) return 'invalid';
    const start = Date.UTC(+signed[1]!, +signed[2]! - 1, +signed[3]!, +signed[4]!, +signed[5]!, +signed[6]!);
    // The signer puts the host name without its port into the canonical headers.
    const canonical = canonicalV4(req.method ?? 'GET', url, String(req.headers.host).replace(/:\d+$/, ''));
    const scope = decodeURIComponent(q.get('X-Goog-Credential') ?? '')
      .split('/')
      .slice(1)
      .join('/');
    const stringToSign = ['GOOG4-RSA-SHA256', date, scope, createHash('sha256').update(canonical).digest('hex')].join(
      '\n',
    );
    const ok = createVerify('RSA-SHA256')
      .update(stringToSign)
      .verify(this.publicKey, Buffer.from(q.get('X-Goog-Signature') ?? '', 'hex'));
    if (!ok) return 'invalid';
    return Date.now() > start + expires * 1000 ? 'expired' : 'ok';
  }
}

/** RFC 3986 encoding as GCS V4 uses it for the canonical query string. */
function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The V4 canonical request of a signed GET whose only signed header is host. */
export function canonicalV4(method: string, url: URL, host: string): string {
  const params = [...url.searchParams.entries()]
    .filter(([k]) => k !== 'X-Goog-Signature')
    .map(([k, v]) => [encodeRfc3986(k), encodeRfc3986(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = url.searchParams.get('X-Goog-SignedHeaders') ?? 'host';
  return [
    method,
    url.pathname,
    params.map(([k, v]) => `${k}=${v}`).join('&'),
    `host:${host}\n`,
    signedHeaders,
    'UNSIGNED-PAYLOAD',
  ].join('\n');
}
