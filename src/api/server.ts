// Rules for putting the app on the network: a non-loopback bind needs an auth token; TLS files.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import type { AppConfig } from '../config/schema.js';
import { UnsafeBindError } from '../errors/unsafe-bind-error.js';

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const bare = host.replace(/^\[|\]$/g, '');
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
  return false;
}

/**
 * The binding rules: with no token configured the server only listens on loopback,
 * and plain HTTP is for loopback unless the operator says an edge terminates TLS in front of it.
 */
export function assertSafeBind(config: AppConfig): void {
  // An operator who requires API keys has auth on, token or not.
  const token = config.security.auth_token?.trim() || (config.security.require_api_key ? 'keys' : '');
  const loopback = isLoopbackHost(config.server.host);
  if (!token && !loopback) {
    throw new UnsafeBindError(
      `server.host: refusing to listen on ${config.server.host} without security.auth_token or security.require_api_key (set TTV_AUTH_TOKEN, or bind 127.0.0.1)`,
    );
  }
  const tls = !!(config.server.tls.cert_path && config.server.tls.key_path);
  if (!loopback && !tls && !config.server.allow_plain_http) {
    throw new UnsafeBindError(
      `server.host: plain HTTP on ${config.server.host} is refused; configure server.tls.cert_path/key_path, or set server.allow_plain_http: true behind a TLS-terminating edge`,
    );
  }
}

/** The configured certificate and key, or null for plain HTTP. */
export function loadTlsFiles(config: AppConfig): { key: Buffer; cert: Buffer } | null {
  const { cert_path: cert, key_path: key } = config.server.tls;
  if (!cert && !key) return null;
  if (!cert || !key) throw new UnsafeBindError('server.tls: cert_path and key_path must be set together');
  try {
    return { cert: readFileSync(cert), key: readFileSync(key) };
  } catch (err) {
    throw new UnsafeBindError(
      `server.tls: cannot read the certificate or key (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}
