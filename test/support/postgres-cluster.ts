// A PostgreSQL cluster that one test owns, for crash tests: `initdb` into a temp dir, the server on a
// free loopback port with trust auth and its socket in that dir, started and stopped with `pg_ctl`
// (`-m immediate` is PostgreSQL's crash: no checkpoint, recovery from the WAL at the next start).
// Never the machine's shared cluster: its own data dir, port and socket dir. The server refuses to
// run as root, so when the tests run as root the binaries run as the `postgres` OS user, which owns
// the temp dir.
import { execFile } from 'node:child_process';
import { chmod, chown, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './redis-server.js';

const run = promisify(execFile);

/** Where initdb and pg_ctl are: TTV_TEST_PG_BIN, else the Debian path of PostgreSQL 15, else PATH. */
function pgBin(name: string): string {
  const dirs = [process.env.TTV_TEST_PG_BIN, '/usr/lib/postgresql/15/bin', '/usr/local/bin'].filter(Boolean);
  for (const dir of dirs) if (existsSync(join(dir!, name))) return join(dir!, name);
  return name;
}

export type StopMode = 'smart' | 'fast' | 'immediate';

export interface PostgresCluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres (trust auth). */
  readonly url: string;
  readonly port: number;
  /** The cluster's data directory (PGDATA). */
  readonly dataDir: string;
  start(): Promise<void>;
  /** `pg_ctl stop -m <mode>` (default fast); `immediate` is a crash. Nothing when it is not running. */
  stop(options?: { mode?: StopMode }): Promise<void>;
  /** Stops (default: immediate, a crash) and starts again on the same port and data. */
  restart(options?: { mode?: StopMode }): Promise<void>;
  /** Stops it (immediate) and removes the temp dir. */
  destroy(): Promise<void>;
  /** The server's log so far (for a failing test's message). */
  log(): Promise<string>;
}

/** The uid and gid to run PostgreSQL as: the `postgres` user's when we are root, else our own. */
async function runAs(): Promise<{ uid: number; gid: number } | null> {
  if (process.getuid?.() !== 0) return null;
  const line = (await readFile('/etc/passwd', 'utf8')).split('\n').find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('running as root, and there is no `postgres` user to run PostgreSQL as');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

export interface PostgresClusterOptions {
  /** TLS only: the server presents this certificate, and every TCP connection must be encrypted (hostssl). */
  tls?: { cert: string; key: string };
}

/** initdb's a new cluster in a temp dir and starts it. */
export async function startPostgresCluster(options: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const user = await runAs();
  const root = await mkdtemp(join(tmpdir(), 'ttv-pg-cluster-'));
  if (user) await chown(root, user.uid, user.gid);
  const dataDir = join(root, 'data');
  const logFile = join(root, 'server.log');
  const port = await freePort();
  const exec = async (file: string, args: string[], timeoutMs: number) => {
    try {
      return await run(file, args, {
        ...(user ?? {}),
        cwd: root,
        timeout: timeoutMs,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' },
      });
    } catch (err) {
      const e = err as Error & { stderr?: string };
      throw new Error(`${file} ${args.join(' ')}: ${e.message}\n${e.stderr ?? ''}`);
    }
  };
  // -N: initdb skips its fsyncs (a crash test kills the server, not the machine, so the page cache stays).
  await exec(
    pgBin('initdb'),
    ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '-N'],
    120_000,
  );
  const tlsOptions: string[] = [];
  if (options.tls) {
    // The server reads its key only when the postgres user owns it and no one else may read it.
    const cert = join(root, 'server.crt');
    const key = join(root, 'server.key');
    await copyFile(options.tls.cert, cert);
    await copyFile(options.tls.key, key);
    await chmod(key, 0o600);
    if (user) for (const file of [cert, key]) await chown(file, user.uid, user.gid);
    tlsOptions.push('-c ssl=on', `-c ssl_cert_file=${cert}`, `-c ssl_key_file=${key}`);
    // TCP connections without TLS find no pg_hba line: refused.
    const hba = join(dataDir, 'pg_hba.conf');
    await writeFile(hba, (await readFile(hba, 'utf8')).replace(/^host(\s)/gm, 'hostssl$1'));
  }
  const serverOptions = [
    '-c listen_addresses=127.0.0.1',
    `-c port=${port}`,
    `-c unix_socket_directories=${root}`,
    '-c max_connections=100',
    '-c shared_buffers=16MB',
    ...tlsOptions,
  ].join(' ');
  let running = false;
  const cluster: PostgresCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    async start() {
      if (running) return;
      // -w: returns once the server accepts connections (after crash recovery, when there is one).
      await exec(
        pgBin('pg_ctl'),
        ['-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', '-t', '120', 'start'],
        150_000,
      );
      running = true;
    },
    async stop({ mode = 'fast' } = {}) {
      if (!running) return;
      await exec(pgBin('pg_ctl'), ['-D', dataDir, '-m', mode, '-w', '-t', '120', 'stop'], 150_000);
      running = false;
    },
    async restart({ mode = 'immediate' } = {}) {
      await cluster.stop({ mode });
      await cluster.start();
    },
    async destroy() {
      try {
        await cluster.stop({ mode: 'immediate' });
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
    log: () => readFile(logFile, 'utf8').catch(() => ''),
  };
  try {
    await cluster.start();
  } catch (err) {
    // pg_ctl may have given up waiting on a server that did start: never leave one behind.
    await exec(pgBin('pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], 60_000).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    throw err;
  }
  return cluster;
}
