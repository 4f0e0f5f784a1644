// package.json overrides two transitive dependencies with older majors that declare Node 20
// (cookie under light-my-request, content-disposition under swagger-ui's @fastify/static 10).
// These exercise the code paths that call them, through the real parents.
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
  it('the lock file holds no cookie or content-disposition that refuses Node 20', async () => {
    const lock = JSON.parse(await readFile(new URL('../../../package-lock.json', import.meta.url), 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: string } }> };
    const entries = Object.entries(lock.packages).filter(([path]) => /node_modules\/(cookie|content-disposition)$/.test(path));
    expect(entries.length).toBeGreaterThanOrEqual(3);
    for (const [path, entry] of entries) expect(entry.engines?.node ?? 'any', `${path}@${entry.version}`).not.toMatch(/>=\s*2[1-9]/);
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
    expect(res.headers['content-disposition']).toBe(`attachment; filename="my clip ?.mp4"; filename*=UTF-8''my%20clip%20%C3%BC.mp4`);
    expect(res.body).toBe('not really a video');
    await app.close();
  });
});
