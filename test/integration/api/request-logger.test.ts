// request.log is made on first use (request-logger.ts): a request that logs gets a line bound to its
// request id, as Fastify's own child logger writes it; one that does not log makes no child at all.
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging/logger.js';
import { lazyChildLogger } from '../../../src/api/plugins/request-logger.js';

describe('request logger', () => {
  it('writes request.log lines with the request id, and makes a child only for requests that log', async () => {
    let output = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        output += chunk.toString();
        done();
      },
    });
    const logger = createLogger({ level: 'info', destination: sink });
    const app = Fastify({ loggerInstance: logger, disableRequestLogging: true, childLoggerFactory: lazyChildLogger });
    let children = 0;
    const appLog = app.log as unknown as { child(...args: unknown[]): unknown };
    const child = appLog.child.bind(appLog);
    appLog.child = (...args: unknown[]) => {
      children += 1;
      return child(...args);
    };
    app.get('/logs', async (request) => {
      request.log.warn({ detail: 1 }, 'something to say');
      return { ok: true };
    });
    app.get('/quiet', async () => ({ ok: true }));
    try {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = app.server.address() as { port: number };
      const quiet = await fetch(`http://127.0.0.1:${port}/quiet`);
      expect(quiet.status).toBe(200);
      expect(children).toBe(0);
      const res = await fetch(`http://127.0.0.1:${port}/logs`, { headers: { 'x-request-id': 'client-chosen-id' } });
      expect(res.status).toBe(200);
      expect(children).toBe(1);
      await new Promise((r) => setImmediate(r));
      const line = output.split('\n').find((l) => l.includes('something to say'));
      expect(JSON.parse(line!)).toMatchObject({
        level: 40,
        reqId: expect.any(String),
        detail: 1,
        msg: 'something to say',
      });
    } finally {
      await app.close();
    }
  });
});
