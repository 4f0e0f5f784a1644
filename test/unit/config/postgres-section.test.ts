// The postgres section: a URL, a pool size and a schema name, each checked with a clear message, and
// never together with redis (one shared store).
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { loadConfig } from '../../../src/config/load-config.js';

const problems = (raw: Record<string, unknown>) => {
  const result = configSchema.safeParse(raw);
  expect(result.success).toBe(false);
  return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('postgres section', () => {
  it('takes a URL and fills the defaults', () => {
    const result = configSchema.safeParse({
      postgres: { url: 'postgres://ttv:pw@db.internal:5432/ttv?sslmode=require' },
    });
    expect(result.success).toBe(true);
    expect(result.data!.postgres).toEqual({
      url: 'postgres://ttv:pw@db.internal:5432/ttv?sslmode=require',
      pool_size: 10,
      schema: 'ttv',
    });
  });

  it('refuses a URL of another scheme, a pool of one and a schema that is not an identifier', () => {
    expect(problems({ postgres: { url: 'mysql://x' } })).toEqual([
      'postgres.url: must be a postgres:// or postgresql:// URL',
    ]);
    expect(problems({ postgres: { url: 'postgres://x/db', pool_size: 1 } })).toEqual([
      'postgres.pool_size: must be at least 2',
    ]);
    expect(problems({ postgres: { url: 'postgres://x/db', schema: 'Robert"; DROP' } })).toEqual([
      'postgres.schema: must be a lower-case SQL identifier (letters, digits, _)',
    ]);
    expect(problems({ postgres: { url: 'postgres://x/db', pool: 3 } })).toEqual(['postgres: Unrecognized key: "pool"']);
  });

  it('is one shared store: redis and postgres together are refused', () => {
    expect(problems({ redis: { url: 'redis://127.0.0.1:6379' }, postgres: { url: 'postgres://x/db' } })).toEqual([
      'postgres: cannot be combined with redis: give one shared store (redis or postgres), or neither for SQLite',
    ]);
  });

  it('is set from TTV_POSTGRES_URL', () => {
    const { config } = loadConfig({ env: { TTV_POSTGRES_URL: 'postgresql://127.0.0.1/ttv' } });
    expect(config.postgres?.url).toBe('postgresql://127.0.0.1/ttv');
  });
});
