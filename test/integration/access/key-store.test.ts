// The key store's revocation on every adapter (SQLite table, Redis hashes, PostgreSQL table): the guard that keeps the
// last admin key and the last key, decided atomically (two revocations at once never take the last
// two admin keys), the revoked-among query and the revocation mark that watchers poll.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SqliteKeyStore } from '../../../src/access/sqlite/sqlite-key-store.js';
import { RedisKeyStore } from '../../../src/access/redis/redis-key-store.js';
import { PostgresKeyStore } from '../../../src/access/postgres/postgres-key-store.js';
import type { KeyStore, NewKey } from '../../../src/access/key-store.js';
import { hashKeySecret, newKeySecret } from '../../../src/access/key-secret.js';
import { NO_LIMITS } from '../../../src/access/principal.js';
import { redisServerForFile } from '../../support/redis-server.js';
import { assertPostgresReachable, testPostgresConfig } from '../../support/postgres.js';

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
  [
    'postgres',
    async () => {
      const schema = testPostgresConfig();
      const store = new PostgresKeyStore(schema.config);
      return {
        store,
        cleanup: async () => {
          await store.close();
          await schema.drop();
        },
      };
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

// Two API processes (two pools) revoking at once: the guard holds across connections, not only within one.
describe('key store revocation: postgres, two processes', () => {
  beforeAll(assertPostgresReachable);

  it('never lets revocations from two stores at once take the last admin key', async () => {
    const schema = testPostgresConfig();
    const stores = [new PostgresKeyStore(schema.config), new PostgresKeyStore(schema.config)];
    try {
      for (let round = 0; round < 5; round += 1) {
        const keys = await Promise.all(
          ['a', 'b', 'c', 'd'].map((n) =>
            stores[0]!.create(
              { name: `${n}${round}`, scope: 'admin', limits: NO_LIMITS },
              hashKeySecret(newKeySecret()),
            ),
          ),
        );
        // Every key is revoked from both stores at once; the last admin key of the round stays.
        const outcomes = (
          await Promise.all(keys.flatMap((k) => stores.map((store) => store.revoke(k.id, GUARDED))))
        ).map((r) => r.outcome);
        expect(outcomes.filter((o) => o === 'revoked')).toHaveLength(3);
        expect(await stores[1]!.activeCount()).toBe(1);
        // The survivor is revoked unguarded, so that the next round starts with none.
        const survivor = (await stores[0]!.list()).find((k) => !k.revoked_at)!;
        expect(await stores[1]!.revoke(survivor.id)).toMatchObject({ outcome: 'revoked' });
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await schema.drop();
    }
  });
});
