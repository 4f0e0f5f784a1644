// Who a request acts for: an API key (or the configured auth_token, which is one admin key), or
// nobody when the server runs open on loopback with no key at all.
export type KeyScope = 'jobs' | 'admin';
export const KEY_SCOPES: readonly KeyScope[] = ['jobs', 'admin'];

export interface KeyLimits {
  /** Requests per minute for this key (submissions and reads each), or null for the configured defaults. */
  rateLimitPerMinute: number | null;
  /** Jobs of this key that may run at once, or null for no per-key limit. */
  maxConcurrentJobs: number | null;
  /** Spend ceiling per calendar month (UTC) in USD, from job cost estimates, or null for none. */
  monthlyBudgetUsd: number | null;
}

export interface Principal {
  /** Stable id: the key's id, "config" for security.auth_token, "anonymous" on an open server. */
  keyId: string;
  name: string;
  scope: KeyScope;
  limits: KeyLimits;
}

export const NO_LIMITS: KeyLimits = { rateLimitPerMinute: null, maxConcurrentJobs: null, monthlyBudgetUsd: null };

/** The configured security.auth_token acts as this admin key. */
export const CONFIG_TOKEN_PRINCIPAL: Principal = {
  keyId: 'config',
  name: 'security.auth_token',
  scope: 'admin',
  limits: NO_LIMITS,
};

/** No key configured anywhere and the server bound to loopback: every caller is this admin. */
export const ANONYMOUS_PRINCIPAL: Principal = {
  keyId: 'anonymous',
  name: 'anonymous',
  scope: 'admin',
  limits: NO_LIMITS,
};

/** The owner filter for job reads: null (all jobs) for admins, else the key's own id. */
export function ownerFilter(principal: Principal): string | null {
  return principal.scope === 'admin' ? null : principal.keyId;
}
