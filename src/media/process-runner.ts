// Runs a subprocess in its own process group so that a cancel reaches its whole tree (ffmpeg, or a
// model launcher and its workers): SIGTERM to the group, then SIGKILL after a grace period.
// Hand-written because no maintained npm library does group kill with a grace period on abort.
import { spawn } from 'node:child_process';
import { CanceledError } from '../errors/canceled-error.js';
import { ProcessError } from '../errors/process-error.js';

export interface RunOptions {
  signal?: AbortSignal;
  graceMs?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  onStderrLine?: (line: string) => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

const STDOUT_LIMIT = 4 * 1024 * 1024;
const STDERR_TAIL = 8 * 1024;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

export function runProcess(command: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(new CanceledError());
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let pending = '';
    let killTimer: NodeJS.Timeout | undefined;
    let aborted = false;

    const onAbort = () => {
      aborted = true;
      if (child.pid === undefined) return;
      killGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killGroup(child.pid!, 'SIGKILL'), options.graceMs ?? 5000);
    };
    signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout!.on('data', (chunk: Buffer) => {
      if (stdout.length < STDOUT_LIMIT) stdout += chunk.toString();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr = (stderr + text).slice(-STDERR_TAIL);
      if (options.onStderrLine) {
        pending += text;
        const lines = pending.split(/\r?\n|\r/);
        pending = lines.pop() ?? '';
        for (const line of lines) options.onStderrLine(line);
      }
    });
    child.once('error', (err) => {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      reject(new ProcessError(`${command} (${err.message})`, null, null, ''));
    });
    child.once('close', (code, sig) => {
      signal?.removeEventListener('abort', onAbort);
      clearTimeout(killTimer);
      // Whatever the leader did, leave no member of its group behind.
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
      if (aborted) return reject(new CanceledError());
      if (code === 0) return resolve({ stdout, stderr });
      reject(new ProcessError(command.split('/').pop() ?? command, code, sig, stderr));
    });
  });
}
