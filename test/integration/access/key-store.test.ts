// The key store's revocation on both adapters (SQLite table, Redis hashes): the guard that keeps the
// last admin key and the last key, decided atomically (two revocations at once never take the last
// two admin keys), the revoked-among query and the revocation mark that watchers poll.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteKeyStore } from '../../../src/access/sqlite/sqlite-key-store.js';
import { RedisKeyStore } from '../../../src/access/redis/redis-key-store.js';
import type { KeyStore, NewKey } from '../../../src/access/key-store.js';
import { hashKeySecret, newKeySecret } from '../../../src/access/key-secret.js';
import { NO_LIMITS } from '../../../src/access/principal.js';
import { redisServerForFile } from '../../support/redis-server.js';

const redis = redisServerForFile();
const GUARDED = { keepAdmin: true, keepAnyKey: true };

const adapters: [string, () => Promise<{ store: KeyStore; cleanup: () => Promise<void> }>][] = [
  [
    'sqlite',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ttv-keys-'));
      const store = new SqliteKeyStore(join(dir, 'ttv.db'));
      return {
        store,
        cleanup: async () => {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'redis',
    async () => {
      const store = new RedisKeyStore(redis().url, `ttv-keys-${randomUUID().slice(0, 8)}`);
      return { store, cleanup: () => store.close() };
    },
  ],
];

for (const [name, open] of adapters) {
  describe(`key store revocation: ${name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      await Promise.all(cleanups.splice(0).map((c) => c()));
    });
    const fresh = async () => {
      const { store, cleanup } = await open();
      cleanups.push(cleanup);
      return store;
    };
    const create = (store: KeyStore, key: Partial<NewKey> & { name: string }) =>
      store.create({ scope: 'jobs', limits: NO_LIMITS, ...key }, hashKeySecret(newKeySecret()));

    it('keeps the last active admin key and the last active key when guarded, and revokes otherwise', async () => {
      const store = await fresh();
      const admin = await create(store, { name: 'admin', scope: 'admin' });
      const jobs = await create(store, { name: 'jobs' });
      expect(await store.revoke(admin.id, GUARDED)).toMatchObject({
        outcome: 'last_admin',
        key: { id: admin.id, revoked_at: null },
      });
      expect(await store.revoke(jobs.id, GUARDED)).toMatchObject({ outcome: 'revoked', key: { id: jobs.id } });
      expect(await store.revoke(jobs.id, GUARDED)).toMatchObject({ outcome: 'already_revoked' });
      // Only the "any key" rule: the admin key is the last key of all.
      expect(await store.revoke(admin.id, { keepAdmin: false, keepAnyKey: true })).toMatchObject({
        outcome: 'last_key',
      });
      expect(await store.activeCount()).toBe(1);
      // Unguarded (a token keeps the server closed): it goes.
      expect(await store.revoke(admin.id)).toMatchObject({ outcome: 'revoked' });
      expect(await store.revoke('key_0000000000000000', GUARDED)).toEqual({ outcome: 'not_found' });
      expect(await store.activeCount()).toBe(0);
    });

    it('never lets two revocations at once take the last two admin keys', async () => {
      const store = await fresh();
      const keys = await Promise.all(['a', 'b', 'c', 'd'].map((n) => create(store, { name: n, scope: 'admin' })));
      const outcomes = (await Promise.all(keys.map((k) => store.revoke(k.id, GUARDED)))).map((r) => r.outcome);
      expect(outcomes.filter((o) => o === 'revoked')).toHaveLength(3);
      expect(outcomes.filter((o) => o === 'last_admin')).toHaveLength(1);
      expect(await store.activeCount()).toBe(1);
    });

    it('answers which keys are revoked, and moves its revocation mark on each revocation only', async () => {
      const store = await fresh();
      const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((n) => create(store, { name: n })));
      const start = await store.revocationMark();
      expect(await store.revokedAmong([a!.id, b!.id, c!.id])).toEqual([]);
      await store.revoke(b!.id);
      const after = await store.revocationMark();
      expect(after).not.toBe(start);
      await store.revoke(b!.id); // already revoked: nothing changed
      await create(store, { name: 'd' });
      expect(await store.revocationMark()).toBe(after);
      expect(await store.revokedAmong([a!.id, b!.id, c!.id, 'key_0000000000000000'])).toEqual([b!.id]);
      expect(await store.revokedAmong([])).toEqual([]);
    });
  });
}
