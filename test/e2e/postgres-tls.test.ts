// PostgreSQL over TLS, as managed instances are sold: a cluster this file owns that takes encrypted
// connections only (hostssl), with a certificate from a CA the test makes. ttv with
// `sslmode=verify-full` and that CA runs a job end to end, every connection of its encrypted; without
// the CA the server's certificate is refused, and without TLS the server refuses ttv; no answer or
// log line carries the URL's password.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPostgresCluster, type PostgresCluster } from '../support/postgres-cluster.js';
import { testCertificateAuthority, type TestCertificateAuthority } from '../support/self-signed.js';
import { runTtv, startTtv, type TtvProcess } from '../support/ttv-process.js';
import { waitForJobStatus } from '../support/job-status.js';

const PASSWORD = 'tls-test-Pa55word';

describe('PostgreSQL over TLS', () => {
  let dir: string;
  let ca: TestCertificateAuthority;
  let cluster: PostgresCluster;
  const procs: TtvProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ttv-pg-tls-'));
    ca = testCertificateAuthority(dir);
    cluster = await startPostgresCluster({ tls: { cert: ca.serverCert, key: ca.serverKey } });
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.kill()));
  });
  afterAll(async () => {
    await cluster?.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  /** A config file for `query` (the URL's TLS parameters), in a schema of its own. */
  async function configFile(name: string, query: string): Promise<string> {
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${cluster.port}/postgres?${query}`;
    const file = join(dir, `${name}.yaml`);
    await writeFile(
      file,
      [
        `data_dir: ${JSON.stringify(join(dir, name))}`,
        `postgres: { url: ${JSON.stringify(url)}, schema: ${name} }`,
        'segment_duration_seconds: 0.5',
        'procedural: { width: 64, height: 36, fps: 12, max_segments: 1 }',
        '',
      ].join('\n'),
    );
    return file;
  }

  it('runs a job with sslmode=verify-full and the CA, on encrypted connections only', async () => {
    const file = await configFile('tls_ok', `sslmode=verify-full&sslrootcert=${encodeURIComponent(ca.caPath)}`);
    const ttv = await startTtv(['serve', '--port', '0', '--config', file]);
    procs.push(ttv);
    const res = await fetch(`${ttv.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'A harbour seen through an encrypted link.' }),
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const job = await waitForJobStatus(ttv.url, id, ['finished', 'failed'], { timeoutMs: 60_000 });
    expect(job.status).toBe('finished');
    // Every connection ttv holds is encrypted (the server would refuse any other, but say it plainly).
    const admin = new pg.Client({
      connectionString: `postgres://postgres@127.0.0.1:${cluster.port}/postgres`,
      ssl: { ca: readFileSync(ca.caPath, 'utf8') },
    });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ application_name: string; ssl: boolean }>(
        `SELECT a.application_name, s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
         WHERE a.application_name LIKE 'ttv%'`,
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((r) => !r.ssl)).toEqual([]);
    } finally {
      await admin.end();
    }
    expect(ttv.output()).not.toContain(PASSWORD);
  });

  it('refuses a server certificate it cannot verify, and the server refuses a connection without TLS', async () => {
    // verify-full without sslrootcert: the system CAs, which never signed the test's CA.
    const untrusted = await runTtv([
      'keys',
      'list',
      '--config',
      await configFile('tls_untrusted', 'sslmode=verify-full'),
    ]);
    expect(untrusted.code).not.toBe(0);
    expect(`${untrusted.stdout}${untrusted.stderr}`).toMatch(/unable to verify the first certificate/);
    const plain = await runTtv(['keys', 'list', '--config', await configFile('tls_plain', 'sslmode=disable')]);
    expect(plain.code).not.toBe(0);
    expect(`${plain.stdout}${plain.stderr}`).toMatch(/no pg_hba\.conf entry .*no encryption/);
    for (const r of [untrusted, plain]) expect(`${r.stdout}${r.stderr}`).not.toContain(PASSWORD);
  });
});
