// TLS-only, ACL-user Redis for the tests: redis-server arguments that close the plain port, serve TLS
// with a certificate of a test CA and turn the default user off for one named user, and the redis-cli
// arguments that reach such a server.
import type { TestCertificateAuthority } from './self-signed.js';

export interface RedisSecurity {
  ca: TestCertificateAuthority;
  /** The ACL user every client must log in as (the default user is off). */
  user: string;
  password: string;
  /** Whether clients must present a certificate the CA signed (redis `tls-auth-clients`). */
  clientCertificates: boolean;
}

/** redis-server arguments: TLS on `port` only, the CA's server certificate, one ACL user. */
export function secureServerArgs(port: number, s: RedisSecurity): string[] {
  return [
    '--port',
    '0',
    '--tls-port',
    String(port),
    '--tls-cert-file',
    s.ca.serverCert,
    '--tls-key-file',
    s.ca.serverKey,
    '--tls-ca-cert-file',
    s.ca.caPath,
    '--tls-auth-clients',
    s.clientCertificates ? 'yes' : 'no',
    ...aclArgs(s),
  ];
}

/** redis-server arguments that turn the default user off and let `s.user` do everything. */
export function aclArgs(s: RedisSecurity): string[] {
  return ['--user', 'default', 'off', '--user', s.user, 'on', `>${s.password}`, '~*', '&*', '+@all'];
}

/** The same as lines of a config file (sentinel.conf takes no command-line options of its own). */
export function secureConfLines(port: number, s: RedisSecurity): string[] {
  return [
    'port 0',
    `tls-port ${port}`,
    `tls-cert-file ${s.ca.serverCert}`,
    `tls-key-file ${s.ca.serverKey}`,
    `tls-ca-cert-file ${s.ca.caPath}`,
    `tls-auth-clients ${s.clientCertificates ? 'yes' : 'no'}`,
    'user default off',
    `user ${s.user} on >${s.password} ~* &* +@all`,
  ];
}

/** redis-cli arguments for such a server (TLS with the CA, the client certificate, the user). */
export function secureCliArgs(s: RedisSecurity): string[] {
  return [
    '--tls',
    '--cacert',
    s.ca.caPath,
    ...(s.clientCertificates ? ['--cert', s.ca.clientCert, '--key', s.ca.clientKey] : []),
    '--user',
    s.user,
    '--pass',
    s.password,
    '--no-auth-warning',
  ];
}
