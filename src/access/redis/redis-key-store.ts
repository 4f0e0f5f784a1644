// API keys in Redis, under the job store's key prefix, their key names in jobs/redis/queue-keys.ts with the
// rest of the store's (the claim reads a key's max_concurrent_jobs): a hash per key, its id by secret
// hash, the set of all ids, and the revocation counter.
import type { Redis } from 'ioredis';
import { connectRedis, type RedisEndpoint } from '../../stores/redis-connection.js';
import type { KeyScope } from '../principal.js';
import {
  NO_REVOKE_GUARD,
  type ApiKeyRecord,
  type KeyStore,
  type NewKey,
  type RevokeGuard,
  type RevokeResult,
} from '../key-store.js';
import { newKeyId } from '../key-secret.js';
import { QueueKeys, luaKeys } from '../../jobs/redis/queue-keys.js';

const num = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));

/**
 * Revokes a key unless the guard refuses, in one script so that the count of active keys and the
 * revocation are one atomic step. KEYS[1]: the key prefix ("<prefix>:", one hash slot with the
 * rest of the store); ARGV: id, keepAdmin (1|0), keepAnyKey (1|0), now → the outcome's name.
 * Each revocation bumps K.apiKeyRevocations, the mark watchers poll.
 */
const REVOKE_LUA = `${luaKeys()}
local id, keep_admin, keep_any, now = ARGV[1], ARGV[2] == '1', ARGV[3] == '1', ARGV[4]
local key = K.apiKey(id)
if redis.call('EXISTS', key) == 0 then return 'not_found' end
local revoked = redis.call('HGET', key, 'revoked_at')
if revoked and revoked ~= '' then return 'already_revoked' end
local scope = redis.call('HGET', key, 'scope') or 'jobs'
if keep_admin or keep_any then
  local admins, active = 0, 0
  for _, other in ipairs(redis.call('SMEMBERS', K.apiKeys)) do
    local f = redis.call('HMGET', K.apiKey(other), 'id', 'scope', 'revoked_at')
    if f[1] and (not f[3] or f[3] == '') then
      active = active + 1
      if f[2] == 'admin' then admins = admins + 1 end
    end
  end
  if keep_admin and scope == 'admin' and admins <= 1 then return 'last_admin' end
  if keep_any and active <= 1 then return 'last_key' end
end
redis.call('HSET', key, 'revoked_at', now)
redis.call('INCR', K.apiKeyRevocations)
return 'revoked'
`;

export class RedisKeyStore implements KeyStore {
  private readonly redis: Redis;
  private readonly keys: QueueKeys;

  constructor(endpoint: RedisEndpoint | string, keyPrefix: string) {
    this.keys = new QueueKeys(keyPrefix);
    const where: RedisEndpoint = typeof endpoint === 'string' ? { kind: 'standalone', url: endpoint } : endpoint;
    this.redis = connectRedis(where, { maxRetriesPerRequest: 1, commandTimeout: 2000, connectTimeout: 2000 });
    this.redis.on('error', () => {
      /* reconnects; callers see the failed command */
    });
  }

  private toRecord(h: Record<string, string>): ApiKeyRecord | null {
    if (!h.id) return null;
    return {
      id: h.id,
      name: h.name ?? '',
      scope: (h.scope ?? 'jobs') as KeyScope,
      created_at: h.created_at ?? '',
      revoked_at: h.revoked_at || null,
      limits: {
        rateLimitPerMinute: num(h.rate_limit),
        maxConcurrentJobs: num(h.max_concurrent_jobs),
        monthlyBudgetUsd: num(h.monthly_budget_usd),
      },
    };
  }

  async create(key: NewKey, secretHash: string): Promise<ApiKeyRecord> {
    const id = newKeyId();
    const fields = {
      id,
      name: key.name,
      scope: key.scope,
      created_at: new Date().toISOString(),
      revoked_at: '',
      rate_limit: key.limits.rateLimitPerMinute ?? '',
      max_concurrent_jobs: key.limits.maxConcurrentJobs ?? '',
      monthly_budget_usd: key.limits.monthlyBudgetUsd ?? '',
    };
    await this.redis
      .multi()
      .hset(this.keys.key('apiKey', id), fields)
      .set(this.keys.key('apiKeyByHash', secretHash), id)
      .sadd(this.keys.key('apiKeys'), id)
      .exec();
    return this.toRecord(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])))!;
  }

  async list(): Promise<ApiKeyRecord[]> {
    const ids = (await this.redis.smembers(this.keys.key('apiKeys'))).sort();
    const records = await Promise.all(
      ids.map(async (id) => this.toRecord(await this.redis.hgetall(this.keys.key('apiKey', id)))),
    );
    return records
      .filter((r): r is ApiKeyRecord => r !== null)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  async revoke(id: string, guard: RevokeGuard = NO_REVOKE_GUARD): Promise<RevokeResult> {
    const outcome = (await this.redis.eval(
      REVOKE_LUA,
      1,
      this.keys.root,
      id,
      guard.keepAdmin ? '1' : '0',
      guard.keepAnyKey ? '1' : '0',
      new Date().toISOString(),
    )) as RevokeResult['outcome'];
    if (outcome === 'not_found') return { outcome };
    const key = this.toRecord(await this.redis.hgetall(this.keys.key('apiKey', id)));
    return key ? { outcome, key } : { outcome: 'not_found' };
  }

  async revokedAmong(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.keys.key('apiKey', id), 'revoked_at');
    const replies = (await pipeline.exec()) ?? [];
    return ids.filter((_, i) => {
      const [err, value] = replies[i] ?? [null, null];
      if (err) throw err;
      return typeof value === 'string' && value !== '';
    });
  }

  async revocationMark(): Promise<number> {
    return Number((await this.redis.get(this.keys.key('apiKeyRevocations'))) ?? 0);
  }

  async findByHash(hash: string): Promise<ApiKeyRecord | null> {
    const id = await this.redis.get(this.keys.key('apiKeyByHash', hash));
    return id ? this.toRecord(await this.redis.hgetall(this.keys.key('apiKey', id))) : null;
  }

  async activeCount(): Promise<number> {
    return (await this.list()).filter((k) => !k.revoked_at).length;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
