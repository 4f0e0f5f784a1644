// Runs a subprocess in its own process group so that a cancel reaches its whole tree (ffmpeg, or a
// model launcher and its workers): SIGTERM to the group, then SIGKILL after a grace period.
//
// Hand-written on purpose: the maintained wrappers (execa, tinyexec, cross-spawn, tree-kill) either
// kill only the direct child, or walk `ps` output after the fact, or have no "TERM, wait, then KILL
// the group" step tied to an AbortSignal. Spawning `detached` makes the child the leader of a new
// process group whose id is its pid, so `process.kill(-pid, …)` reaches every member, including
// grandchildren that re-parented themselves to init. POSIX only (Linux and macOS), as ttv is.
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { CanceledError } from '../errors/canceled-error.js';
import { ProcessError } from '../errors/process-error.js';
import { currentSpawnObserver } from './spawn-observer.js';

export interface RunOptions {
  signal?: AbortSignal;
  /** Time between SIGTERM and SIGKILL to the process group after an abort (default 5000 ms). */
  graceMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with every stderr line (split on \n, \r\n or \r, so ffmpeg's in-place updates count). */
  onStderrLine?: (line: string) => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** stdout is kept up to this many characters (ffprobe JSON is far smaller); the rest is dropped. */
export const STDOUT_LIMIT = 4 * 1024 * 1024;
/** Only the tail of stderr is kept, for ProcessError and diagnosis. */
export const STDERR_TAIL = 8 * 1024;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

export function runProcess(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const { signal, onStderrLine } = options;
  const graceMs = options.graceMs ?? 5000;
  const name = basename(command);
  // Never start work that is already canceled.
  if (signal?.aborted) return Promise.reject(new CanceledError());

  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pid = child.pid;
    const observer = currentSpawnObserver();
    if (pid !== undefined) observer?.spawned(pid);
    let stdout = '';
    let stderr = '';
    let pending = '';
    let killTimer: NodeJS.Timeout | undefined;
    let aborted = false;
    let exited = false;
    let settled = false;

    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      outcome();
    };

    function onAbort(): void {
      // A child that already exited on its own keeps its own outcome.
      if (exited || pid === undefined || aborted) return;
      aborted = true;
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      if (stdout.length < STDOUT_LIMIT) stdout += text.slice(0, STDOUT_LIMIT - stdout.length);
    });
    child.stderr!.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_TAIL);
      if (onStderrLine) {
        pending += text;
        const lines = pending.split(/\r\n|\n|\r/);
        pending = lines.pop() ?? '';
        // A runaway line without a line break must not grow without bound either.
        if (pending.length > STDERR_TAIL) pending = pending.slice(-STDERR_TAIL);
        for (const line of lines) onStderrLine(line);
      }
    });

    child.once('error', (err: NodeJS.ErrnoException) => {
      // Only a failed spawn settles here; other errors (a failed kill) are followed by 'close'.
      if (child.pid !== undefined) return;
      const error = new ProcessError(name, null, null, '');
      error.message = `${name} could not be started (${err.code ?? err.message})`;
      finish(() => reject(error));
    });

    child.once('exit', () => {
      exited = true;
      signal?.removeEventListener('abort', onAbort);
      // The leader is gone. Members left in its group (a background grandchild) would keep our
      // pipes open and outlive the call: kill them now. After an abort the grace timer does it.
      if (!aborted && pid !== undefined) killGroup(pid, 'SIGKILL');
    });

    child.once('close', (code, sig) => {
      // 'close' comes once the leader has exited and every holder of its stdio is gone.
      if (pid !== undefined) {
        killGroup(pid, 'SIGKILL');
        observer?.ended(pid);
      }
      if (onStderrLine && pending) onStderrLine(pending);
      if (aborted) return finish(() => reject(new CanceledError()));
      if (code === 0) return finish(() => resolve({ stdout, stderr }));
      finish(() => reject(new ProcessError(name, code, sig, stderr)));
    });
  });
}
