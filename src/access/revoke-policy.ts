// Revoking keys never opens the server: without security.auth_token the last active admin key stays
// (else nobody could administer the server over HTTP, and once the other keys went it would turn
// anonymous-admin), and without a token or security.require_api_key the last active key of any
// scope stays (with no key left, /v1 would answer anyone as admin). The same rule for `ttv keys
// revoke` and the admin API; the store applies it atomically (KeyStore.revoke).
import type { AppConfig } from '../config/schema.js';
import type { RevokeGuard, RevokeResult } from './key-store.js';

export function revokeGuard(security: AppConfig['security']): RevokeGuard {
  const token = Boolean(security.auth_token?.trim());
  return { keepAdmin: !token, keepAnyKey: !token && !security.require_api_key };
}

/** Why a guarded revocation was refused, for the CLI and the API; null when it was not. */
export function revokeRefusal(result: RevokeResult): string | null {
  if (result.outcome === 'last_admin') {
    return `${result.key.id} is the last active admin key and no security.auth_token is configured: revoking it would leave nobody able to administer this server, and the server open once the other keys are gone. Create another admin key first (ttv keys create --scope admin), or configure security.auth_token.`;
  }
  if (result.outcome === 'last_key') {
    return `${result.key.id} is the last active key and neither security.auth_token nor security.require_api_key is set: revoking it would open this server to anyone as admin. Create another key first, or set security.require_api_key: true.`;
  }
  return null;
}
