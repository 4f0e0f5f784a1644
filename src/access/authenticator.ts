// The port the v1 auth hook (api/plugins/auth.ts) asks who a presented secret stands for: the key
// store behind it (key-authenticator.ts), or the configured token alone (the app's default).
import type { FastifyRequest } from 'fastify';
import type { Principal } from './principal.js';

export interface Authenticator {
  /**
   * True when requests must present a key (a token is configured or keys exist); a plain boolean when
   * known without a store read (the auth hook then goes on without a promise on every request).
   */
  required(): boolean | Promise<boolean>;
  /** The principal a presented secret stands for, or null when it is unknown or revoked. */
  resolve(secret: string): Promise<Principal | null>;
  /** Called once per refused request (for the audit log); never sees the secret. */
  denied?(request: FastifyRequest, reason: 'missing' | 'invalid'): void;
}
