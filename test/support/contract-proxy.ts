// A validating HTTP proxy for integration tests: it sits in front of a running ttv, forwards every
// request unchanged, and checks each exchange against the service's own /openapi.json with ajv
// (JSON Schema 2020-12, as OpenAPI 3.1 uses). Tests opt in with withContract(service) and call
// assertClean() after each test, which fails on any mismatch between what the document says and
// what the server did.
//
// Hand-written on purpose: the ajv-based OpenAPI request/response validators on npm target
// OpenAPI 3.0 (not 3.1's JSON Schema) or a framework's middleware, and none sees SSE or raw bodies.
// The checks:
// - a path the document does not know answers 404 in the error envelope;
// - a known path with a method it does not document answers 405 with Allow naming the documented ones;
// - a request that breaks the document (parameters, headers, body, missing bearer token) gets a 4xx;
// - a request the document allows is not refused with 400 (the document must be as strict as the server);
// - every answer's status is documented for its operation, its media type is documented, and its JSON
//   body and documented headers validate against their schemas.
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { TestService } from './test-service.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

type Schema = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema: Schema;
}
interface ResponseDoc {
  content?: Record<string, { schema?: Schema }>;
  headers?: Record<string, { schema: Schema }>;
}
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, ResponseDoc>;
  security?: Record<string, string[]>[];
}
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  security?: unknown[];
}

/** Routes intentionally outside the document: the docs UI, signed download links, dashboard assets. */
const UNDOCUMENTED_PREFIXES = ['/docs', '/files/', '/web/'];
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export interface Exchange {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
  responseHeaders: IncomingHttpHeaders;
  /** null for streams, which are passed through unread. */
  responseBody: Buffer | null;
}

export class ContractChecker {
  private readonly ajv = addFormats(new Ajv2020({ strict: false, allErrors: true, validateFormats: true }));
  private readonly compiled = new WeakMap<object, ValidateFunction>();
  private readonly templates: { template: string; pattern: RegExp; names: string[] }[];

  constructor(readonly document: OpenApiDocument) {
    this.templates = Object.keys(document.paths).map((template) => {
      const names: string[] = [];
      const source = template
        .split(/(\{[^}]+\})/)
        .map((part) => {
          const m = /^\{([^}]+)\}$/.exec(part);
          if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(m[1]!);
          return '([^/]+)';
        })
        .join('');
      return { template, pattern: new RegExp(`^${source}/?$`), names };
    });
  }

  private validate(schema: Schema, value: unknown): string | null {
    let fn = this.compiled.get(schema);
    if (!fn) {
      fn = this.ajv.compile(schema);
      this.compiled.set(schema, fn);
    }
    if (fn(value)) return null;
    return this.ajv.errorsText(fn.errors, { dataVar: 'value' });
  }

  /** Query strings and headers are text: read them the way the schema types them. */
  private static coerce(schema: Schema, raw: string): unknown {
    const type = schema.type;
    if ((type === 'integer' || type === 'number') && /^-?[0-9]+(\.[0-9]+)?$/.test(raw)) return Number(raw);
    if (type === 'boolean' && (raw === 'true' || raw === 'false')) return raw === 'true';
    return raw;
  }

  /** Returns the problems of one exchange (empty when it agrees with the document). */
  check(x: Exchange): string[] {
    const label = `${x.method} ${x.path} → ${x.status}`;
    if (UNDOCUMENTED_PREFIXES.some((p) => x.path.startsWith(p))) return [];
    const problems: string[] = [];
    const body = x.responseBody === null ? null : x.responseBody.toString('utf8');
    const envelope = (): void => {
      const json = parseJson(body);
      const keys = json && typeof json === 'object' ? Object.keys(json).sort().join(',') : '';
      // /v1/videos and /v1/models answer in OpenAI's envelope, {error: {message, type, param, code}}.
      const openAi = x.path.startsWith('/v1/videos') || x.path.split('?')[0] === '/v1/models';
      const inner = json && typeof json === 'object' && (json as { error?: unknown }).error;
      const expected = openAi ? 'error' : 'details,error,message,request_id,retryable,timestamp';
      const innerOk =
        !openAi ||
        (inner && typeof inner === 'object' && Object.keys(inner).sort().join(',') === 'code,message,param,type');
      if (x.method !== 'HEAD' && (keys !== expected || !innerOk))
        problems.push(`${label}: not the error envelope: ${body?.slice(0, 200)}`);
    };
    const match = this.templates.map((t) => ({ t, m: t.pattern.exec(x.path) })).find((r) => r.m);
    if (!match) {
      if (x.status !== 404) problems.push(`${label}: path not in the document, but the answer is not 404`);
      else envelope();
      return problems;
    }
    const ops = this.document.paths[match.t.template]!;
    const method = x.method.toLowerCase();
    const op = ops[method] ?? (method === 'head' ? ops.get : undefined);
    if (!op) {
      const documented = Object.keys(ops)
        .filter((m) => HTTP_METHODS.includes(m))
        .map((m) => m.toUpperCase());
      const allow = String(x.responseHeaders.allow ?? '')
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean);
      if (method === 'options' && x.status < 300) return problems; // CORS preflight
      if (x.status !== 405)
        problems.push(`${label}: method not documented for ${match.t.template}, but the answer is not 405`);
      else {
        envelope();
        const missing = documented.filter((m) => !allow.includes(m));
        const extra = allow.filter((m) => m !== 'HEAD' && m !== 'OPTIONS' && !documented.includes(m));
        if (missing.length || extra.length)
          problems.push(
            `${label}: Allow "${allow.join(', ')}" does not match the documented methods ${documented.join(', ')}`,
          );
      }
      return problems;
    }

    // The request against the document.
    const requestProblems: string[] = [];
    const pathValues = Object.fromEntries(match.t.names.map((n, i) => [n, decodeURIComponent(match.m![i + 1]!)]));
    for (const p of op.parameters ?? []) {
      const raw =
        p.in === 'path'
          ? pathValues[p.name]
          : p.in === 'query'
            ? (x.query.get(p.name) ?? undefined)
            : headerValue(x.headers, p.name);
      if (raw === undefined) {
        if (p.required) requestProblems.push(`${p.in} ${p.name} is required`);
        continue;
      }
      const err = this.validate(p.schema, ContractChecker.coerce(p.schema, raw));
      if (err) requestProblems.push(`${p.in} ${p.name}: ${err}`);
    }
    if (op.requestBody) {
      const type = mediaType(x.headers['content-type']);
      const media = type ? op.requestBody.content[type] : undefined;
      if (x.body.length === 0) {
        if (op.requestBody.required) requestProblems.push('body is required');
      } else if (!media) {
        requestProblems.push(`body media type ${type ?? '(none)'} is not documented`);
      } else if (type !== 'application/json') {
        // Multipart bodies (uploads) are not read here; the route tests check them.
      } else {
        const json = parseJson(x.body.toString('utf8'));
        if (json === undefined) requestProblems.push('body is not JSON');
        else {
          const err = this.validate(media.schema, json);
          if (err) requestProblems.push(`body: ${err}`);
        }
      }
    } else if (x.body.length > 0 && !/^\s*(\{\s*\})?\s*$/.test(x.body.toString('utf8'))) {
      requestProblems.push('a body where the operation documents none');
    }
    if (
      (op.security ?? this.document.security ?? []).length > 0 &&
      !/^Bearer \S/.test(headerValue(x.headers, 'authorization') ?? '')
    ) {
      requestProblems.push('no bearer token although the operation requires one');
    }

    if (requestProblems.length > 0 && (x.status < 400 || x.status >= 500)) {
      problems.push(
        `${label}: the request breaks the document (${requestProblems.join('; ')}) but was not refused with a 4xx`,
      );
    }
    if (requestProblems.length === 0 && x.status === 400) {
      const json = parseJson(body) as { details?: { field?: string } } | undefined;
      // A cursor is opaque: its format is documented, but only the server knows which ones it issued.
      if (json?.details?.field !== 'cursor')
        problems.push(`${label}: a request the document allows was refused with 400: ${body?.slice(0, 300)}`);
    }

    // The answer against the document.
    const doc = op.responses[String(x.status)] ?? op.responses[`${String(x.status)[0]}XX`] ?? op.responses.default;
    if (!doc) {
      problems.push(
        `${label}: status ${x.status} is not documented for ${op.operationId} (documented: ${Object.keys(op.responses).join(', ')})`,
      );
      return problems;
    }
    for (const [name, header] of Object.entries(doc.headers ?? {})) {
      const value = headerValue(x.responseHeaders, name);
      if (value === undefined) continue;
      const err = this.validate(header.schema, ContractChecker.coerce(header.schema, value));
      if (err) problems.push(`${label}: response header ${name}: ${err}`);
    }
    if (x.status >= 300 && x.status < 400 && !x.responseHeaders.location)
      problems.push(`${label}: a redirect without Location`);
    const emptyBody = x.method === 'HEAD' || (x.responseBody !== null && x.responseBody.length === 0);
    if (!doc.content) {
      if (!emptyBody) problems.push(`${label}: a body where the document says there is none`);
      return problems;
    }
    const type = mediaType(x.responseHeaders['content-type']);
    const media = type ? doc.content[type] : undefined;
    if (!media) {
      problems.push(
        `${label}: media type ${type ?? '(none)'} is not documented (documented: ${Object.keys(doc.content).join(', ')})`,
      );
      return problems;
    }
    if (emptyBody || body === null || !media.schema) return problems;
    const value = type === 'application/json' ? parseJson(body) : body;
    if (value === undefined) {
      problems.push(`${label}: the body is not JSON`);
      return problems;
    }
    const err = this.validate(media.schema, value);
    if (err) problems.push(`${label}: response body breaks ${op.operationId}'s schema: ${err}`);
    return problems;
  }
}

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function mediaType(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  return value ? value.split(';', 1)[0]!.trim().toLowerCase() : null;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : v;
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface ContractProxy {
  url: string;
  checker: ContractChecker;
  /** How many exchanges were checked. */
  checked: number;
  problems: string[];
  /** Throws (failing the test) if any exchange since the last call broke the contract. */
  assertClean(): void;
  close(): Promise<void>;
}

/** Starts the proxy on an ephemeral loopback port in front of `targetUrl` (plain HTTP). */
export async function startContractProxy(targetUrl: string): Promise<ContractProxy> {
  const target = new URL(targetUrl);
  const docResponse = await fetch(new URL('/openapi.json', target));
  if (!docResponse.ok) throw new Error(`no OpenAPI document at ${targetUrl}/openapi.json: ${docResponse.status}`);
  const checker = new ContractChecker((await docResponse.json()) as OpenApiDocument);
  const state = { checked: 0, problems: [] as string[] };

  const server = createServer(async (req, res) => {
    const body = await readAll(req);
    const url = new URL(req.url ?? '/', 'http://proxy.invalid');
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      async (answer) => {
        const exchange: Exchange = {
          method: req.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body,
          status: answer.statusCode ?? 0,
          responseHeaders: answer.headers,
          responseBody: null,
        };
        const streaming = mediaType(answer.headers['content-type']) === 'text/event-stream';
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        if (streaming) {
          // Check the head now; the stream itself flows through untouched (and ends when either side does).
          state.checked += 1;
          state.problems.push(...checker.check(exchange));
          answer.pipe(res);
          return;
        }
        exchange.responseBody = await readAll(answer).catch(() => Buffer.alloc(0));
        state.checked += 1;
        state.problems.push(...checker.check(exchange));
        res.end(exchange.responseBody);
      },
    );
    res.on('close', () => upstream.destroy());
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502).end();
      else res.destroy();
    });
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    checker,
    get checked() {
      return state.checked;
    },
    get problems() {
      return state.problems;
    },
    assertClean() {
      const found = state.problems.splice(0);
      if (found.length > 0) throw new Error(`OpenAPI contract broken:\n- ${found.join('\n- ')}`);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The same service seen through a contract proxy: tests use `url` as before; close() closes both. */
export async function withContract(service: TestService): Promise<TestService & { contract: ContractProxy }> {
  const contract = await startContractProxy(service.url);
  return {
    ...service,
    url: contract.url,
    contract,
    async close() {
      await contract.close();
      await service.close();
    },
  };
}
