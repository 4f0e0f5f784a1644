// API keys in Redis, under the job store's key prefix: <prefix>:apikey:<id> (a hash),
// <prefix>:apikey-hash:<sha256> → id, and the set <prefix>:apikeys of all ids.
import type { Redis } from 'ioredis';
import { connectRedis, type RedisEndpoint } from '../../jobs/redis/redis-connection.js';
import type { KeyScope } from '../principal.js';
import type { ApiKeyRecord, KeyStore, NewKey } from '../key-store.js';
import { newKeyId } from '../key-secret.js';

const num = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));

export class RedisKeyStore implements KeyStore {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(endpoint: RedisEndpoint | string, keyPrefix: string) {
    this.prefix = `${keyPrefix}:`;
    const where: RedisEndpoint = typeof endpoint === 'string' ? { kind: 'standalone', url: endpoint } : endpoint;
    this.redis = connectRedis(where, { maxRetriesPerRequest: 1, commandTimeout: 2000, connectTimeout: 2000 });
    this.redis.on('error', () => { /* reconnects; callers see the failed command */ });
  }

  private toRecord(h: Record<string, string>): ApiKeyRecord | null {
    if (!h.id) return null;
    return {
      id: h.id, name: h.name ?? '', scope: (h.scope ?? 'jobs') as KeyScope, created_at: h.created_at ?? '', revoked_at: h.revoked_at || null,
      limits: { rateLimitPerMinute: num(h.rate_limit), maxConcurrentJobs: num(h.max_concurrent_jobs), monthlyBudgetUsd: num(h.monthly_budget_usd) },
    };
  }

  async create(key: NewKey, secretHash: string): Promise<ApiKeyRecord> {
    const id = newKeyId();
    const fields = {
      id, name: key.name, scope: key.scope, created_at: new Date().toISOString(), revoked_at: '',
      rate_limit: key.limits.rateLimitPerMinute ?? '', max_concurrent_jobs: key.limits.maxConcurrentJobs ?? '',
      monthly_budget_usd: key.limits.monthlyBudgetUsd ?? '',
    };
    await this.redis.multi()
      .hset(`${this.prefix}apikey:${id}`, fields)
      .set(`${this.prefix}apikey-hash:${secretHash}`, id)
      .sadd(`${this.prefix}apikeys`, id)
      .exec();
    return this.toRecord(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])))!;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const ids = (await this.redis.smembers(`${this.prefix}apikeys`)).sort();
    const records = await Promise.all(ids.map(async (id) => this.toRecord(await this.redis.hgetall(`${this.prefix}apikey:${id}`))));
    return records.filter((r): r is ApiKeyRecord => r !== null).sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  async revoke(id: string): Promise<ApiKeyRecord | null> {
    const key = `${this.prefix}apikey:${id}`;
    if (!(await this.redis.exists(key))) return null;
    await this.redis.hsetnx(key, 'revoked_at', '');
    if (!(await this.redis.hget(key, 'revoked_at'))) await this.redis.hset(key, 'revoked_at', new Date().toISOString());
    return this.toRecord(await this.redis.hgetall(key));
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const id = await this.redis.get(`${this.prefix}apikey-hash:${hash}`);
    return id ? this.toRecord(await this.redis.hgetall(`${this.prefix}apikey:${id}`)) : null;
  }

  async activeCount(): Promise<number> {
    return (await this.list()).filter((k) => !k.revoked_at).length;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
