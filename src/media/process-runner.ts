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
import { ProcessTimeoutError } from '../errors/process-timeout-error.js';
import { currentSpawnObserver } from './spawn-observer.js';
import { headAtTokenBoundary, tailAtTokenBoundary } from '../logging/redact.js';

export interface RunOptions {
  signal?: AbortSignal;
  /** Time between SIGTERM and SIGKILL to the process group after an abort (default 5000 ms). */
  graceMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called with every stderr line (split on \n, \r\n or \r, so ffmpeg's in-place updates count). */
  onStderrLine?: (line: string) => void;
  /**
   * Deadline: past it the process group is stopped as on an abort (SIGTERM, SIGKILL after graceMs)
   * and the call rejects with ProcessTimeoutError once the group is gone. A cancel wins over it.
   */
  timeoutMs?: number;
  /** Where the deadline comes from (a config key), for the error message. */
  timeoutSource?: string;
  /** Written to the child's stdin, which is then closed (otherwise stdin is /dev/null). */
  stdin?: Uint8Array;
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
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const pid = child.pid;
    const observer = currentSpawnObserver();
    if (pid !== undefined) observer?.spawned(pid);
    let stdout = '';
    let stderr = '';
    let pending = '';
    let skipping = false;
    let killTimer: NodeJS.Timeout | undefined;
    let deadlineTimer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let aborted = false;
    let exited = false;
    let settled = false;

    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      clearTimeout(deadlineTimer);
      outcome();
    };

    function stopGroup(): void {
      if (pid === undefined) return;
      killGroup(pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
    }

    function onAbort(): void {
      // A child that already exited on its own keeps its own outcome.
      if (exited || pid === undefined || aborted) return;
      aborted = true;
      // A cancel after the deadline fired: the group is already being stopped.
      if (!timedOut) stopGroup();
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    if (options.timeoutMs !== undefined && pid !== undefined) {
      deadlineTimer = setTimeout(() => {
        if (exited || aborted) return;
        timedOut = true;
        stopGroup();
      }, options.timeoutMs);
    }

    if (options.stdin && child.stdin) {
      // A child that exits without reading all of it (an error, a deadline) closes the pipe: EPIPE is
      // expected then and its outcome is the exit status, not the write.
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.stdin);
    }

    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      if (stdout.length < STDOUT_LIMIT) stdout += text.slice(0, STDOUT_LIMIT - stdout.length);
    });
    child.stderr!.on('data', (text: string) => {
      // Cut between tokens: a token cut in two could show part of a secret redaction cannot find.
      stderr = tailAtTokenBoundary(stderr + text, STDERR_TAIL);
      if (onStderrLine) {
        pending += text;
        const lines = pending.split(/\r\n|\n|\r/);
        pending = lines.pop() ?? '';
        if (skipping && lines.length > 0) {
          lines.shift(); // the rest of a line left out (below)
          skipping = false;
        }
        for (const line of lines) onStderrLine(line);
        // A runaway line without a line break must not grow without bound either: its head is handed
        // on, cut between tokens (as the tail above), and the rest of the line is skipped.
        if (pending.length > STDERR_TAIL) {
          if (!skipping) onStderrLine(`${headAtTokenBoundary(pending, STDERR_TAIL).trimEnd()} […]`);
          pending = '';
          skipping = true;
        }
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
      // pipes open and outlive the call: kill them now. After an abort or a deadline the grace timer does it.
      if (!aborted && !timedOut && pid !== undefined) killGroup(pid, 'SIGKILL');
    });

    child.once('close', (code, sig) => {
      // 'close' comes once the leader has exited and every holder of its stdio is gone.
      if (pid !== undefined) {
        killGroup(pid, 'SIGKILL');
        observer?.ended(pid);
      }
      if (onStderrLine && pending && !skipping) onStderrLine(pending);
      if (aborted) return finish(() => reject(new CanceledError()));
      if (timedOut)
        return finish(() => reject(new ProcessTimeoutError(name, options.timeoutMs!, options.timeoutSource)));
      if (code === 0) return finish(() => resolve({ stdout, stderr }));
      finish(() => reject(new ProcessError(name, code, sig, stderr)));
    });
  });
}
