// Resolves a presented bearer secret to a principal: the configured auth_token (one admin key),
// else an API key from the key store. Lookups are cached for at most CACHE_MS so that every API
// process sees a revocation within a second without a store round trip on each request.
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Authenticator } from './authenticator.js';
import type { KeyStore } from './key-store.js';
import { hashKeySecret } from './key-secret.js';
import type { Principal } from './principal.js';
import { TokenMatcher } from './token-authenticator.js';
import { audit } from './audit.js';
import { StoreUnavailableError } from '../errors/store-unavailable-error.js';

/** The key store shares the job store's backend: when it cannot be reached the client gets 503, not 500. */
async function reach<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw new StoreUnavailableError('Key store unavailable', { cause: err });
  }
}

const CACHE_MS = 1000;
const CACHE_MAX = 10_000;

export interface KeyAuthenticatorOptions {
  token: string | null;
  keys: KeyStore;
  /** Demand a key even while neither a token nor a key exists (security.require_api_key). */
  requireKey: boolean;
  logger?: Logger;
}

export class KeyAuthenticator implements Authenticator {
  private readonly token: TokenMatcher;
  private readonly cache = new Map<string, { principal: Principal | null; at: number }>();
  private activeKeys: { count: number; at: number } | null = null;

  constructor(private readonly options: KeyAuthenticatorOptions) {
    this.token = new TokenMatcher(options.token);
  }

  /** Synchronous while the key count is cached (at most CACHE_MS old), a store read otherwise. */
  required(): boolean | Promise<boolean> {
    if (this.token.configured || this.options.requireKey) return true;
    const now = Date.now();
    if (this.activeKeys && now - this.activeKeys.at < CACHE_MS) return this.activeKeys.count > 0;
    return reach(() => this.options.keys.activeCount()).then((count) => {
      this.activeKeys = { count, at: now };
      return count > 0;
    });
  }

  async resolve(secret: string): Promise<Principal | null> {
    const fromToken = this.token.match(secret);
    if (fromToken) return fromToken;
    const hash = hashKeySecret(secret);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && now - cached.at < CACHE_MS) return cached.principal;
    const record = await reach(() => this.options.keys.findByHash(hash));
    const principal: Principal | null =
      record && !record.revoked_at
        ? { keyId: record.id, name: record.name, scope: record.scope, limits: record.limits }
        : null;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(hash, { principal, at: now });
    return principal;
  }

  /** Drops a revoked key from the cache, so that this process refuses it at once rather than within CACHE_MS. */
  forget(keyId: string): void {
    for (const [hash, entry] of this.cache) if (entry.principal?.keyId === keyId) this.cache.delete(hash);
  }

  denied(request: FastifyRequest, reason: 'missing' | 'invalid'): void {
    audit(this.options.logger, 'access.denied', {
      reason,
      method: request.method,
      route: request.routeOptions.url ?? null,
      ip: request.ip,
      request_id: request.id,
    });
  }
}
