// Rules for putting the app on the network: a non-loopback bind needs an auth token.
import { isIP } from 'node:net';
import type { AppConfig } from '../config/schema.js';

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
  return false;
}

export class UnsafeBindError extends Error {
  override readonly name = 'UnsafeBindError';
}

/** The rule of DESIGN.md §3: with no token configured the server only listens on loopback. */
export function assertSafeBind(config: AppConfig): void {
  const token = config.security.auth_token?.trim();
  if (!token && !isLoopbackHost(config.server.host)) {
    throw new UnsafeBindError(
      `server.host: refusing to listen on ${config.server.host} without security.auth_token (set TTV_AUTH_TOKEN, or bind 127.0.0.1)`,
    );
  }
}
