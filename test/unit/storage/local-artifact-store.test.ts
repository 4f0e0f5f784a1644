import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalArtifactStore } from '../../../src/storage/local/local-artifact-store.js';
import { configSchema } from '../../../src/config/schema.js';
import { StorageError } from '../../../src/errors/storage-error.js';

let dir: string;
let store: LocalArtifactStore;
const JOB = '11111111-2222-4333-8444-555555555555';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ttv-store-'));
  store = new LocalArtifactStore({
    rootDir: join(dir, 'artifacts'),
    prefix: 'ttv-api',
    signingSecret: 'a-test-signing-secret',
  });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

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
    const other = new LocalArtifactStore({
      rootDir: join(dir, 'artifacts'),
      prefix: 'ttv-api',
      signingSecret: 'another-secret-value',
    });
    expect(other.verify(u.pathname, u.searchParams)).toBe('invalid');
  });

  it('refuses keys that could leave the root', () => {
    for (const key of [
      '../etc/passwd',
      '/etc/passwd',
      'a/../../b',
      'a\\b',
      'a//b',
      'a/./b',
      '',
      '..',
      'a/..',
      'a/',
      '%2e%2e/x',
      'a/b\0',
      'a b',
      '~/x',
      'C:\\x',
    ]) {
      expect(() => store.resolveFile(key)).toThrow(/invalid artifact key/);
    }
    expect(store.resolveFile(`ttv-api/2026-03/${JOB}/final_video.mp4`)).toBe(
      join(dir, 'artifacts', 'ttv-api', '2026-03', JOB, 'final_video.mp4'),
    );
  });

  it('keeps one generated signing key in the data dir across restarts', async () => {
    const config = configSchema.parse({ data_dir: join(dir, 'data') });
    const first = LocalArtifactStore.fromConfig(config);
    const second = LocalArtifactStore.fromConfig(config);
    const { url } = await first.sign(`ttv-api/2026-03/${JOB}/final_video.mp4`, { expiresInSeconds: 60 });
    const u = new URL(url, 'http://x');
    expect(second.verify(u.pathname, u.searchParams)).toBe('ok');
  });

  it('rejects a tampered signature', async () => {
    const key = `ttv-api/2026-03/${JOB}/final_video.mp4`;
    const { url } = await store.sign(key, { expiresInSeconds: 60, requestOrigin: 'http://127.0.0.1:1/' });
    const u = new URL(url);
    expect(url.startsWith(`http://127.0.0.1:1/files/${key}?expires=`)).toBe(true);
    const sig = u.searchParams.get('signature')!;
    expect(sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const forged of [`${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`, sig.slice(1), `${sig}A`, '']) {
      const q = new URLSearchParams(u.searchParams);
      q.set('signature', forged);
      expect(store.verify(u.pathname, q)).toBe('invalid');
    }
  });

  it('signs only keys it could serve', async () => {
    await expect(store.sign('../outside.mp4', { expiresInSeconds: 60 })).rejects.toBeInstanceOf(StorageError);
  });

  it('writes atomically: no partial file is left, and a failed copy leaves nothing', async () => {
    const src = join(dir, 'atomic.mp4');
    await writeFile(src, Buffer.alloc(4096, 1));
    const stored = await store.put(src, '22222222-2222-4333-8444-555555555555', {
      now: new Date('2026-04-01T00:00:00Z'),
    });
    const jobDir = join(dir, 'artifacts', 'ttv-api', '2026-04', '22222222-2222-4333-8444-555555555555');
    expect(await readdir(jobDir)).toEqual(['final_video.mp4']);
    expect(stored.sizeBytes).toBe(4096);
    await expect(store.put(join(dir, 'missing.mp4'), '33333333-2222-4333-8444-555555555555')).rejects.toBeInstanceOf(
      StorageError,
    );
  });

  it('gives file:// URIs that survive spaces in the root', async () => {
    const spaced = new LocalArtifactStore({
      rootDir: join(dir, 'with space'),
      prefix: '',
      signingSecret: 'a-test-signing-secret',
    });
    const src = join(dir, 'spaced.mp4');
    await writeFile(src, 'x');
    const stored = await spaced.put(src, JOB, { now: new Date('2026-03-15T00:00:00Z') });
    expect(stored.key).toBe(`2026-03/${JOB}/final_video.mp4`);
    expect(stored.uri).toBe(pathToFileURL(join(dir, 'with space', stored.key)).href);
    expect(stored.uri).toContain('with%20space');
  });

  it('generates a 32-byte key readable only by its owner, and refuses a damaged one', async () => {
    const config = configSchema.parse({ data_dir: join(dir, 'keyed') });
    LocalArtifactStore.fromConfig(config);
    const info = await stat(join(dir, 'keyed', 'signing.key'));
    expect(info.size).toBe(32);
    expect(info.mode & 0o777).toBe(0o600);
    expect((await readdir(join(dir, 'keyed'))).sort()).toEqual(['artifacts', 'signing.key']);
    await writeFile(join(dir, 'keyed', 'signing.key'), '');
    expect(() => LocalArtifactStore.fromConfig(config)).toThrow(/damaged/);
  });

  it('uses a configured secret and directory instead', async () => {
    const config = configSchema.parse({
      data_dir: join(dir, 'cfg'),
      storage: { local: { dir: join(dir, 'elsewhere'), signing_secret: 'configured-secret-0123' } },
    });
    const configured = LocalArtifactStore.fromConfig(config);
    expect(configured.rootDir).toBe(join(dir, 'elsewhere'));
    const same = new LocalArtifactStore({
      rootDir: join(dir, 'elsewhere'),
      prefix: 'ttv-api',
      signingSecret: 'configured-secret-0123',
    });
    const { url } = await configured.sign(`ttv-api/2026-03/${JOB}/final_video.mp4`, { expiresInSeconds: 60 });
    const u = new URL(url, 'http://x');
    expect(same.verify(u.pathname, u.searchParams)).toBe('ok');
    await expect(stat(join(dir, 'cfg', 'signing.key'))).rejects.toThrow();
  });

  it('ping creates a missing root and succeeds when it is writable', async () => {
    const root = join(dir, 'pinged');
    const pinged = new LocalArtifactStore({ rootDir: root, prefix: 'p', signingSecret: 'a-test-signing-secret' });
    await rm(root, { recursive: true, force: true });
    await pinged.ping();
    expect((await stat(root)).isDirectory()).toBe(true);
  });
});
