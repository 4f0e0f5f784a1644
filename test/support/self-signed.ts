// A self-signed localhost certificate (EC P-256, one day) made by openssl for the TLS tests.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Writes key.pem and cert.pem into `dir`; their paths. */
export function selfSignedCert(dir: string): { keyPath: string; certPath: string } {
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'];
  execFileSync('openssl', [...args, '-subj', '/CN=localhost', '-keyout', keyPath, '-out', certPath], {
    stdio: 'ignore',
  });
  return { keyPath, certPath };
}
