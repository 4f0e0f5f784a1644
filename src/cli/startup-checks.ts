// Checks run before a service starts, so that a bad data dir, a taken port, missing TLS files or a
// missing ffmpeg end at once with exit 2 and a message naming the path or flag, instead of a library
// error (or, for a data dir under /proc, Node's recursive mkdir spinning on ENOENT for ever).
import { spawnSync } from 'node:child_process';
import { constants, accessSync, chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { AppConfig } from '../config/schema.js';
import { StartupError } from '../errors/startup-error.js';

const DATA_DIR = 'data dir (--data-dir / data_dir)';
const FIX_DATA_DIR = 'give a writable directory with --data-dir';

function code(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

/**
 * Creates the data dir one level at a time from its nearest existing ancestor (a recursive mkdir
 * loops on some virtual file systems), then proves it writable with a probe file. Returns the
 * outermost directory it created (null when the data dir existed), for a failed start to remove.
 */
export function checkDataDir(dataDir: string): string | null {
  const dir = resolve(dataDir);
  const missing: string[] = [];
  let probe = dir;
  for (;;) {
    let stat;
    try {
      stat = statSync(probe);
    } catch (err) {
      if (code(err) !== 'ENOENT')
        throw new StartupError(`${DATA_DIR} ${dir}: cannot read ${probe} (${code(err)}); ${FIX_DATA_DIR}`);
      missing.unshift(probe);
      const parent = dirname(probe);
      if (parent === probe) break;
      probe = parent;
      continue;
    }
    if (!stat.isDirectory()) {
      throw new StartupError(`${DATA_DIR} ${dir}: ${probe} is a file, not a directory; remove it or ${FIX_DATA_DIR}`);
    }
    break;
  }
  for (const level of missing) {
    try {
      // Private (jobs, prompts, keys): 0700 whatever the umask.
      mkdirSync(level, { mode: 0o700 });
      chmodSync(level, 0o700);
    } catch (err) {
      if (code(err) !== 'EEXIST')
        throw new StartupError(`${DATA_DIR} ${dir}: cannot create ${level} (${code(err)}); ${FIX_DATA_DIR}`);
    }
  }
  const file = join(dir, `.write-check-${process.pid}`);
  try {
    accessSync(dir, constants.W_OK);
    writeFileSync(file, '');
    rmSync(file, { force: true });
  } catch (err) {
    throw new StartupError(`${DATA_DIR} ${dir} is not writable (${code(err)}); fix its permissions or ${FIX_DATA_DIR}`);
  }
  return missing[0] ?? null;
}

/** Removes what a failed start created: the directories checkDataDir made, and what is in them. */
export function removeCreatedDataDir(created: string | null): void {
  if (created) rmSync(created, { recursive: true, force: true });
}

/** Fails when host:port cannot be bound (in use, or not an address of this machine). */
export async function checkPort(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const server = createServer();
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (err) => {
      const c = code(err);
      const what =
        c === 'EADDRINUSE' ? 'is already in use' : c === 'EACCES' ? 'needs privileges' : `cannot be bound (${c})`;
      reject(
        new StartupError(
          `port ${port} on ${host} ${what} (--port / server.port); stop the other process or pick another port with --port (0 picks a free one)`,
        ),
      );
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolvePromise()));
  });
}

export function checkTlsFiles(config: AppConfig): void {
  for (const key of ['cert_path', 'key_path'] as const) {
    const path = config.server.tls[key];
    if (!path) continue;
    try {
      accessSync(path, constants.R_OK);
    } catch (err) {
      throw new StartupError(
        `server.tls.${key}: cannot read ${path} (${code(err)}); point it at the PEM file, or remove server.tls for plain HTTP on loopback`,
      );
    }
  }
}

export function checkFfmpeg(config: AppConfig): void {
  for (const key of ['ffmpeg_path', 'ffprobe_path'] as const) {
    // A deadline like every child process: a wrapper script that hangs must not hang the start.
    const result = spawnSync(config[key], ['-version'], {
      stdio: 'ignore',
      timeout: config.media.probe_timeout_seconds * 1000,
      killSignal: 'SIGKILL',
    });
    if (result.error || result.status !== 0) {
      const why = result.error ? code(result.error) : `exit ${result.status}`;
      throw new StartupError(
        `${key}: cannot run "${config[key]}" (${why}); install ffmpeg (apt-get install ffmpeg, or bash scripts/system-deps.sh) or set ${key}`,
      );
    }
  }
}

/**
 * Every check for a process about to serve the API and/or run workers. Returns the data dir levels
 * it created (see checkDataDir); when a later check fails, it removes them before throwing.
 */
export async function checkStartup(config: AppConfig, mode: { api: boolean }): Promise<string | null> {
  const created = checkDataDir(config.data_dir);
  try {
    checkFfmpeg(config);
    if (mode.api) {
      checkTlsFiles(config);
      await checkPort(config.server.host, config.server.port);
    }
  } catch (err) {
    removeCreatedDataDir(created);
    throw err;
  }
  return created;
}
