import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { openPostgresPool } from '../../../src/stores/postgres-pool.js';
import { migratePostgres } from '../../../src/stores/postgres-migrations.js';
import { StoreSchemaTooNewError } from '../../../src/errors/store-schema-too-new-error.js';
import { assertPostgresReachable, testPostgresConfig, type TestSchema } from '../../support/postgres.js';

const MIGRATIONS = [
  { version: 1, name: 'first', sql: 'CREATE TABLE things (id INTEGER PRIMARY KEY)' },
  { version: 2, name: 'second', sql: 'ALTER TABLE things ADD COLUMN label TEXT' },
];

describe('PostgreSQL migrations', () => {
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(assertPostgresReachable);
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function schemaWithPools(n: number): { schema: TestSchema; pools: pg.Pool[] } {
    const schema = testPostgresConfig();
    const pools = Array.from({ length: n }, () => openPostgresPool(schema.config, { max: 2 }));
    cleanups.push(async () => {
      await Promise.all(pools.map((p) => p.end()));
      await schema.drop();
    });
    return { schema, pools };
  }

  it('creates the schema, applies each version once and records it', async () => {
    const { schema, pools } = schemaWithPools(1);
    expect(await migratePostgres(pools[0]!, schema.config, MIGRATIONS.slice(0, 1))).toEqual([1]);
    expect(await migratePostgres(pools[0]!, schema.config, MIGRATIONS)).toEqual([2]);
    expect(await migratePostgres(pools[0]!, schema.config, MIGRATIONS)).toEqual([]);
    // The tables went into the configured schema, found through the pool's search path.
    await pools[0]!.query(`INSERT INTO things (id, label) VALUES (1, 'a')`);
    const { rows } = await pools[0]!.query(
      `SELECT table_schema FROM information_schema.tables WHERE table_name = 'things' AND table_schema = $1`,
      [schema.config.schema],
    );
    expect(rows).toHaveLength(1);
  });

  it('migrates once when several processes start at the same moment', async () => {
    const { schema, pools } = schemaWithPools(4);
    const results = await Promise.all(pools.map((pool) => migratePostgres(pool, schema.config, MIGRATIONS)));
    expect(results.flat().sort()).toEqual([1, 2]);
    const { rows } = await pools[0]!.query<{ version: number }>(
      'SELECT version FROM schema_migrations ORDER BY version',
    );
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
  });

  it('refuses a database migrated by a newer ttv, and changes nothing', async () => {
    const { schema, pools } = schemaWithPools(1);
    await migratePostgres(pools[0]!, schema.config, MIGRATIONS);
    const older = MIGRATIONS.slice(0, 1);
    await expect(migratePostgres(pools[0]!, schema.config, older)).rejects.toBeInstanceOf(StoreSchemaTooNewError);
    await expect(migratePostgres(pools[0]!, schema.config, older)).rejects.toThrow(
      /version 2, newer than this ttv knows \(1\)/,
    );
  });

  it('rolls a failing migration back whole', async () => {
    const { schema, pools } = schemaWithPools(1);
    const broken = [...MIGRATIONS, { version: 3, name: 'broken', sql: 'ALTER TABLE nowhere ADD COLUMN x INTEGER' }];
    await expect(migratePostgres(pools[0]!, schema.config, broken)).rejects.toThrow(/nowhere/);
    const { rows } = await pools[0]!.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1`, [
      schema.config.schema,
    ]);
    expect(rows).toHaveLength(0);
  });
});
