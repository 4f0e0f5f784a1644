import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../../src/storage/local/local-artifact-store.js';
import { configSchema } from '../../../src/config/schema.js';

let dir: string;
let store: LocalArtifactStore;
const JOB = '11111111-2222-4333-8444-555555555555';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-store-'));
  store = new LocalArtifactStore({ rootDir: join(dir, 'artifacts'), prefix: 'ttv-api', signingSecret: 'a-test-signing-secret' });
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('LocalArtifactStore', () => {
  it('stores under {prefix}/{YYYY-MM}/{job}/final_video.mp4 with the same bytes', async () => {
    const src = join(dir, 'src.mp4');
    await writeFile(src, Buffer.alloc(100_000, 7));
    const stored = await store.put(src, JOB, { now: new Date('2026-03-15T00:00:00Z') });
    expect(stored.key).toBe(`ttv-api/2026-03/${JOB}/final_video.mp4`);
    expect(stored.uri).toBe(`file://${join(dir, 'artifacts', stored.key)}`);
    expect(stored.sizeBytes).toBe(100_000);
    expect(await readFile(join(dir, 'artifacts', stored.key))).toEqual(await readFile(src));
  });

  it('signs links that verify, and rejects tampered, foreign and expired ones', async () => {
    const key = `ttv-api/2026-03/${JOB}/final_video.mp4`;
    const { url } = await store.sign(key, { expiresInSeconds: 60, requestOrigin: 'http://127.0.0.1:1' });
    const u = new URL(url);
    expect(store.verify(u.pathname, u.searchParams)).toBe('ok');
    expect(store.verify(u.pathname.replace(JOB, 'other'), u.searchParams)).toBe('invalid');
    const bumped = new URLSearchParams(u.searchParams);
    bumped.set('expires', String(Number(bumped.get('expires')) + 1));
    expect(store.verify(u.pathname, bumped)).toBe('invalid');
    expect(store.verify(u.pathname, new URLSearchParams())).toBe('invalid');
    expect(store.verify(u.pathname, u.searchParams, new Date(Date.now() + 61_000))).toBe('expired');
    const other = new LocalArtifactStore({ rootDir: join(dir, 'artifacts'), prefix: 'ttv-api', signingSecret: 'another-secret-value' });
    expect(other.verify(u.pathname, u.searchParams)).toBe('invalid');
  });

  it('refuses keys that could leave the root', () => {
    for (const key of ['../etc/passwd', '/etc/passwd', 'a/../../b', 'a\\b', 'a//b', 'a/./b', '']) {
      expect(() => store.resolveFile(key)).toThrow(/invalid artifact key/);
    }
  });

  it('keeps one generated signing key in the data dir across restarts', async () => {
    const config = configSchema.parse({ data_dir: join(dir, 'data') });
    const first = LocalArtifactStore.fromConfig(config);
    const second = LocalArtifactStore.fromConfig(config);
    const { url } = await first.sign(`ttv-api/2026-03/${JOB}/final_video.mp4`, { expiresInSeconds: 60 });
    const u = new URL(url, 'http://x');
    expect(second.verify(u.pathname, u.searchParams)).toBe('ok');
  });
});
