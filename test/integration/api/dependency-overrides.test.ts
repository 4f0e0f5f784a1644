// package.json overrides two transitive dependencies with older majors that declare Node 20
// (cookie under light-my-request, content-disposition under swagger-ui's @fastify/static 10).
// The lock file is checked for any package whose engines refuse Node 20, and the code paths that
// call the two are exercised through their real parents.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyPluginAsync } from 'fastify';
import type { FastifyStaticOptions } from '@fastify/static';

const require = createRequire(import.meta.url);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-overrides-'));
  await writeFile(join(dir, 'clip.mp4'), 'not really a video');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('overridden dependencies', () => {
  it('the lock file holds no package whose engines refuse Node 20 (npm would print EBADENGINE)', async () => {
    const lock = JSON.parse(await readFile(new URL('../../../package-lock.json', import.meta.url), 'utf8')) as {
      packages: Record<string, { version?: string; engines?: unknown }>;
    };
    // A coarse reading of the ranges npm packages use (">=22", "^20.19.0 || >=22", "18 || 20 || >=22"):
    // a range admits Node 20 when one of its alternatives starts at major 20 or lower.
    const admits20 = (range: string) =>
      range.split('||').some((alt) => {
        const m = /^\s*(>=|\^|~|=)?\s*v?(\d+)/.exec(alt);
        return alt.trim() === '*' || alt.trim() === '' || /^\s*</.test(alt) || (m !== null && Number(m[2]) <= 20);
      });
    const refusing = Object.entries(lock.packages)
      .map(([path, entry]) => ({
        path,
        version: entry.version,
        node: (entry.engines as { node?: string } | undefined)?.node,
      }))
      .filter((e) => typeof e.node === 'string' && !admits20(e.node))
      .map((e) => `${e.path}@${e.version}: ${e.node}`);
    expect(refusing).toEqual([]);
    expect(admits20('>=22')).toBe(false);
    expect(admits20('^20.19.0 || >=22')).toBe(true);
  });

  it('fastify inject sends cookies (light-my-request → cookie)', async () => {
    const app = Fastify();
    app.get('/echo', async (request) => ({ cookie: request.headers.cookie ?? null }));
    const res = await app.inject({ method: 'GET', url: '/echo', cookies: { session: 'abc 1', theme: 'dark' } });
    expect(res.json()).toEqual({ cookie: 'session=abc%201; theme=dark' });
    await app.close();
  });

  it("swagger-ui's @fastify/static sends a download's Content-Disposition (→ content-disposition)", async () => {
    const staticRequire = createRequire(require.resolve('@fastify/swagger-ui'));
    const fastifyStatic = staticRequire('@fastify/static') as FastifyPluginAsync<FastifyStaticOptions>;
    const app = Fastify();
    await app.register(fastifyStatic, { root: dir, serve: false });
    app.get('/download', (_request, reply) => reply.download('clip.mp4', 'my clip ü.mp4'));
    const res = await app.inject({ method: 'GET', url: '/download' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="my clip ?.mp4"; filename*=UTF-8''my%20clip%20%C3%BC.mp4`,
    );
    expect(res.body).toBe('not really a video');
    await app.close();
  });
});
