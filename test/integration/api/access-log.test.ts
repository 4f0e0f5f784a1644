// The access-log line is put together as a string (access-log.ts); it must be, byte for byte but the
// time, the line `request.log.info({…}, 'request')` writes through the same logger, including for
// values a client chooses (quotes, backslashes, control characters, non-ASCII), and it goes through
// the logger's redaction like any line.
import { Writable } from 'node:stream';
import { request as httpRequest } from 'node:http';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { accessLog } from '../../../src/api/plugins/access-log.js';
import { requestIdFrom } from '../../../src/api/plugins/request-id.js';

let close: (() => Promise<unknown>) | null = null;
afterEach(async () => {
  await close?.();
  close = null;
});

async function serve(level: string): Promise<{ url: string; lines: () => string[] }> {
  let output = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      output += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ level, secrets: ['SECRET-in-config-0001'], destination: sink });
  const app = Fastify({
    loggerInstance: logger,
    disableRequestLogging: true,
    genReqId: requestIdFrom,
    requestIdHeader: false,
  });
  close = () => app.close();
  const log = accessLog(app.log);
  app.addHook('onResponse', (request, reply, done) => {
    log(request, reply, 1.25, 'http/1.1');
    // The object the line stands for, through the request's own logger.
    request.log.info(
      {
        method: request.method,
        url: request.url,
        status: reply.statusCode,
        ms: 1.25,
        remote: request.ip,
        http: request.raw.httpVersion,
        protocol: 'http/1.1',
        proto: request.headers['x-forwarded-proto'] ?? request.protocol,
      },
      'request',
    );
    done();
  });
  app.get('/*', async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    lines: () => output.split('\n').filter((l) => l.includes('"msg":"request"')),
  };
}

/** A GET with a raw target and headers as given (no client-side normalisation). */
function get(url: string, target: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${target}`, { headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const withoutTime = (line: string) => line.replace(/,"time":\d+/, '');

describe('access-log line', () => {
  it('is the line the logger writes for the same fields, for values a client chooses too', async () => {
    const { url, lines } = await serve('info');
    await get(url, '/v1/jobs/0f4f83a6-2efc-4ae9-921a-118f1062ab91');
    await get(url, '/a%22b%5Cc/%C3%A9t%C3%A9?q=%00', {
      'x-forwarded-proto': 'ht"tp\\s\tx',
      'x-request-id': 'client.id-1',
    });
    await get(url, '/files/x.mp4?expires=1&signature=abcdef0123&key=SECRET-in-config-0001');
    await new Promise((r) => setImmediate(r));
    const written = lines();
    expect(written).toHaveLength(6);
    for (let i = 0; i < written.length; i += 2) {
      expect(withoutTime(written[i]!)).toBe(withoutTime(written[i + 1]!));
      expect(JSON.parse(written[i]!)).toMatchObject({
        level: 30,
        msg: 'request',
        status: 200,
        ms: 1.25,
        protocol: 'http/1.1',
        http: '1.1',
      });
    }
    expect(JSON.parse(written[2]!)).toMatchObject({
      url: '/a%22b%5Cc/%C3%A9t%C3%A9?q=%00',
      proto: 'ht"tp\\s\tx',
      reqId: 'client.id-1',
    });
    expect(written[4]).toContain('signature=[REDACTED]');
    expect(written[4]).not.toContain('abcdef0123');
    expect(written[4]).not.toContain('SECRET-in-config-0001');
  });

  it('writes nothing above info level', async () => {
    const { url, lines } = await serve('warn');
    expect(await get(url, '/quiet')).toBe(200);
    await new Promise((r) => setImmediate(r));
    expect(lines()).toEqual([]);
  });
});
