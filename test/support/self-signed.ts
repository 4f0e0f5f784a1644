// Certificates made by openssl for the TLS tests: a self-signed localhost certificate (EC P-256, one
// day), and a small CA with a server and a client certificate.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
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

export interface TestCertificateAuthority {
  /** The CA's certificate: what a client trusts. */
  caPath: string;
  /** A server certificate the CA signed, for 127.0.0.1 (IP SAN) and localhost; usable as a client certificate too. */
  serverCert: string;
  serverKey: string;
  /** A client certificate the CA signed (CN ttv-client). */
  clientCert: string;
  clientKey: string;
}

/**
 * A one-day CA (EC P-256) made by openssl in `dir`, and a server and a client certificate it signed.
 * The server's names 127.0.0.1 as an IP SAN, so that a client checking the certificate of a node it
 * reaches by address (as Redis Cluster and Sentinel announce them) verifies it.
 */
export function testCertificateAuthority(dir: string): TestCertificateAuthority {
  const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const caPath = join(dir, 'ca.pem');
  const caKey = join(dir, 'ca-key.pem');
  openssl([
    'req',
    '-x509',
    ...ec,
    '-days',
    '1',
    '-subj',
    '/CN=ttv test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-keyout',
    caKey,
    '-out',
    caPath,
  ]);
  const issue = (name: string, cn: string, extensions: string[]) => {
    const key = join(dir, `${name}-key.pem`);
    const csr = join(dir, `${name}.csr`);
    const cert = join(dir, `${name}.pem`);
    const ext = join(dir, `${name}.ext`);
    writeFileSync(ext, [...extensions, 'basicConstraints=CA:FALSE', ''].join('\n'));
    openssl(['req', ...ec, '-subj', `/CN=${cn}`, '-keyout', key, '-out', csr]);
    const serial = `0x${randomBytes(8).toString('hex')}`;
    openssl(
      ['x509', '-req', '-in', csr, '-CA', caPath, '-CAkey', caKey, '-set_serial', serial, '-days', '1'].concat([
        '-extfile',
        ext,
        '-out',
        cert,
      ]),
    );
    return { cert, key };
  };
  const server = issue('server', 'localhost', [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'keyUsage=critical,digitalSignature',
    // Redis presents it to its peers too (cluster bus, replication), as a client.
    'extendedKeyUsage=serverAuth,clientAuth',
  ]);
  const client = issue('client', 'ttv-client', ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth']);
  return { caPath, serverCert: server.cert, serverKey: server.key, clientCert: client.cert, clientKey: client.key };
}
