// `ttv keys create|list|revoke` against a config with `postgres:`: the real CLI process (bin/ttv.js)
// migrates a fresh schema, keeps the keys in its api_keys table (hashed; no SQLite file is made in
// the data dir), applies the revocation guard, and refuses a schema newer than it knows.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTtv } from '../support/ttv-process.js';
import { assertPostgresReachable, testPostgresConfig } from '../support/postgres.js';

describe('ttv keys on PostgreSQL', () => {
  const schema = testPostgresConfig();
  let dir: string;
  let store: string[];
  let db: pg.Client;

  beforeAll(async () => {
    await assertPostgresReachable();
    dir = await mkdtemp(join(tmpdir(), 'ttv-keys-pg-'));
    const file = join(dir, 'ttv.yaml');
    await writeFile(
      file,
      `data_dir: ${JSON.stringify(join(dir, 'data'))}\npostgres:\n  url: ${JSON.stringify(schema.config.url)}\n  schema: ${schema.config.schema}\n`,
    );
    store = ['--config', file];
    db = new pg.Client({ connectionString: schema.config.url });
    await db.connect();
  });
  afterAll(async () => {
    await db?.end();
    await schema.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const keyLine = (stdout: string) => /^(key_[0-9a-f]+)\t(.*)$/m.exec(stdout);

  it('creates, lists and revokes keys in the database, with the guard of the last admin key', async () => {
    const admin = await runTtv(['keys', 'create', '--name', 'ops', '--scope', 'admin', ...store]);
    expect(admin.stderr).toContain('Store the secret now');
    expect(admin.code).toBe(0);
    const adminId = keyLine(admin.stdout)![1]!;
    const secret = /^secret: (ttv_\S+)$/m.exec(admin.stdout)![1]!;
    const jobs = await runTtv([
      'keys',
      'create',
      '--name',
      'jill',
      '--rate-limit',
      '30',
      '--max-concurrent-jobs',
      '2',
      '--monthly-budget-usd',
      '12.5',
      ...store,
    ]);
    expect(jobs.code).toBe(0);
    const jobsId = keyLine(jobs.stdout)![1]!;
    expect(keyLine(jobs.stdout)![2]).toBe(
      'jobs\tactive\tjill\trate_limit=30/min max_concurrent_jobs=2 monthly_budget_usd=12.5',
    );

    // In ttv's schema, hashed: the secret itself is nowhere in the table.
    const { rows } = await db.query<{ id: string; secret_hash: string; monthly_budget_usd: number }>(
      `SELECT id, secret_hash, monthly_budget_usd FROM "${schema.config.schema}".api_keys ORDER BY created_at`,
    );
    expect(rows.map((r) => r.id)).toEqual([adminId, jobsId]);
    expect(rows[0]!.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows[1]!.monthly_budget_usd).toBe(12.5);
    // The key store needs no data dir: no SQLite file was made.
    expect(existsSync(join(dir, 'data', 'ttv.db'))).toBe(false);

    const listed = await runTtv(['keys', 'list', ...store]);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim().split('\n')).toEqual([
      `${adminId}\tadmin\tactive\tops`,
      `${jobsId}\tjobs\tactive\tjill\trate_limit=30/min max_concurrent_jobs=2 monthly_budget_usd=12.5`,
    ]);

    const revoked = await runTtv(['keys', 'revoke', jobsId, ...store]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^${jobsId}\\tjobs\\trevoked \\d{4}-\\d\\d-\\d\\dT`));
    // No security.auth_token: the last admin key stays.
    const refused = await runTtv(['keys', 'revoke', adminId, ...store]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`refusing to revoke ${adminId}`);
    const unknown = await runTtv(['keys', 'revoke', 'key_0000000000000000', ...store]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no key with id key_0000000000000000');

    const after = await runTtv(['keys', 'list', ...store]);
    expect(after.stdout).toContain(`${adminId}\tadmin\tactive\tops`);
    expect(after.stdout).toMatch(new RegExp(`${jobsId}\\tjobs\\trevoked `));
  });

  it('refuses a schema migrated by a newer ttv, and says so', async () => {
    await db.query(`INSERT INTO "${schema.config.schema}".schema_migrations (version, name) VALUES (999, 'future')`);
    try {
      const listed = await runTtv(['keys', 'list', ...store]);
      expect(listed.code).not.toBe(0);
      expect(listed.stderr).toContain('newer than this ttv knows');
      expect(listed.stdout).toBe('');
    } finally {
      await db.query(`DELETE FROM "${schema.config.schema}".schema_migrations WHERE version = 999`);
    }
  });
});
