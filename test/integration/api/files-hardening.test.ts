// The embedded store's files: the data dir is private (0700), the database and the signing key 0600,
// and /files/ serves only regular files inside the artifacts dir after resolving symlinks.
import { mkdir, mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJob, startTestService, type TestService } from '../../support/test-service.js';

let svc: TestService;
beforeAll(async () => {
  svc = await startTestService({}, { worker: false });
});
afterAll(async () => {
  await svc?.close();
});

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('data dir permissions', () => {
  it('creates the data dir 0700 and ttv.db, its -wal/-shm and signing.key 0600', async () => {
    // A data dir that does not exist yet (mkdtemp's own dir is 0700 already), under a usual umask.
    const parent = await mkdtemp(join(tmpdir(), 'ttv-perm-'));
    const dataDir = join(parent, 'data');
    const previous = process.umask(0o022);
    let fresh: TestService | null = null;
    try {
      fresh = await startTestService({ data_dir: dataDir }, { worker: false });
      expect((await postJob(fresh.url, { prompt: 'Something to write.' })).status).toBe(202);
      expect(await mode(dataDir)).toBe(0o700);
      const db = join(dataDir, 'ttv.db');
      expect(await mode(db)).toBe(0o600);
      for (const extra of [`${db}-wal`, `${db}-shm`]) {
        expect(existsSync(extra), extra).toBe(true);
        expect(await mode(extra)).toBe(0o600);
      }
      expect(await mode(join(dataDir, 'signing.key'))).toBe(0o600);
    } finally {
      process.umask(previous);
      await fresh?.close();
      await rm(parent, { recursive: true, force: true });
    }
  });
});

describe('/files/ after resolving', () => {
  const root = () => join(svc.dataDir, 'artifacts');
  async function signedFetch(key: string): Promise<Response> {
    const { url } = await svc.store.sign(key, { expiresInSeconds: 60, requestOrigin: svc.url });
    return fetch(url);
  }
  async function expectEnvelope(res: Response, status: number, error: string): Promise<void> {
    expect(res.status).toBe(status);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ error });
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
  }

  beforeAll(async () => {
    await mkdir(join(root(), 'ttv-api', 'x'), { recursive: true });
    await writeFile(join(root(), 'ttv-api', 'x', 'real.mp4'), 'video bytes');
    await writeFile(join(svc.dataDir, 'outside.txt'), 'not an artifact');
    await symlink(join(svc.dataDir, 'outside.txt'), join(root(), 'ttv-api', 'x', 'escape.mp4'));
    await symlink(join(root(), 'ttv-api', 'x', 'real.mp4'), join(root(), 'ttv-api', 'x', 'inner-link.mp4'));
    await symlink(svc.dataDir, join(root(), 'ttv-api', 'dirlink'));
  });

  it('serves a regular file inside the artifacts dir', async () => {
    const res = await signedFetch('ttv-api/x/real.mp4');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('video bytes');
  });

  it('refuses a symlink to a file outside, a symlink inside, and a symlinked directory with 403', async () => {
    await expectEnvelope(await signedFetch('ttv-api/x/escape.mp4'), 403, 'Forbidden');
    await expectEnvelope(await signedFetch('ttv-api/x/inner-link.mp4'), 403, 'Forbidden');
    await expectEnvelope(await signedFetch('ttv-api/dirlink/outside.txt'), 403, 'Forbidden');
    await expectEnvelope(await signedFetch('ttv-api/dirlink/ttv.db'), 403, 'Forbidden');
  });

  it('answers 404 in the envelope for a signed link to a missing file, and 403 for a directory', async () => {
    await expectEnvelope(await signedFetch('ttv-api/x/missing.mp4'), 404, 'NotFound');
    await expectEnvelope(await signedFetch('ttv-api/x'), 403, 'Forbidden');
  });
});
