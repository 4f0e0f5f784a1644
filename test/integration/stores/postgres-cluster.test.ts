// The crash-test harness itself (test/support/postgres-cluster.ts): a cluster of the test's own that
// keeps a committed row across `pg_ctl stop -m immediate` (a crash: recovery replays the WAL), on the
// same port, and leaves no server or files behind.
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import { TEST_POSTGRES_URL } from '../../support/postgres.js';

describe('PostgreSQL cluster of a test', () => {
  let cluster: PostgresCluster;
  beforeAll(async () => {
    cluster = await startPostgresCluster();
  }, 180_000);
  afterAll(async () => {
    await cluster?.destroy();
  });

  const withClient = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: cluster.url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };

  it('keeps a committed row across an immediate stop, and serves again on the same port', async () => {
    // Its own server, not the machine's shared one.
    expect(new URL(cluster.url).port).not.toBe(new URL(TEST_POSTGRES_URL).port || '5432');
    const dataDir = await withClient(
      async (c) => (await c.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory,
    );
    expect(dataDir).toBe(cluster.dataDir);
    await withClient(async (c) => {
      await c.query('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
      await c.query(`INSERT INTO t VALUES (1, 'committed')`);
    });
    await cluster.stop({ mode: 'immediate' });
    // Down: a connection is refused.
    await expect(withClient((c) => c.query('SELECT 1'))).rejects.toThrow();
    await cluster.start();
    expect(await withClient(async (c) => (await c.query('SELECT v FROM t WHERE id = 1')).rows)).toEqual([
      { v: 'committed' },
    ]);
    // restart() is a crash and a start in one.
    await withClient((c) => c.query(`INSERT INTO t VALUES (2, 'also committed')`));
    await cluster.restart();
    expect(await withClient(async (c) => (await c.query('SELECT count(*)::int AS n FROM t')).rows[0])).toEqual({
      n: 2,
    });
    expect(await cluster.log()).toContain('database system was interrupted');
  });

  it('removes its data dir when destroyed', async () => {
    const other = await startPostgresCluster();
    await other.destroy();
    expect(existsSync(other.dataDir)).toBe(false);
    const client = new pg.Client({ connectionString: other.url, connectionTimeoutMillis: 2000 });
    await expect(client.connect()).rejects.toThrow();
  }, 180_000);
});
