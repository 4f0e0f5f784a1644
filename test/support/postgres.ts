// A private schema in the machine's PostgreSQL for one test (or one test file): ttv's tables are
// created there by its own migrations and the schema is dropped afterwards, so tests never share
// rows. TTV_TEST_POSTGRES_URL points elsewhere; .ci/run starts the server where it is not running.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { PostgresConfig } from '../../src/config/schema.js';

export const TEST_POSTGRES_URL = process.env.TTV_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestSchema {
  config: PostgresConfig;
  /** Drops the schema and everything in it. */
  drop(): Promise<void>;
}

/** A new, empty schema name (nothing is created until ttv's migrations run). */
export function testPostgresConfig(overrides: Partial<PostgresConfig> = {}): TestSchema {
  const schema = `ttv_test_${randomBytes(6).toString('hex')}`;
  const config: PostgresConfig = { url: TEST_POSTGRES_URL, pool_size: 10, schema, ...overrides };
  return {
    config,
    async drop() {
      const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS "${config.schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Throws with a plain reason when the test server cannot be reached (under CI a test must fail, not skip). */
export async function assertPostgresReachable(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new Error(
      `PostgreSQL is not reachable at ${TEST_POSTGRES_URL} (${(err as Error).message}); .ci/run starts it`,
    );
  } finally {
    await client.end().catch(() => {});
  }
}
