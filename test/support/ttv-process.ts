// Runs the real `ttv` command (bin/ttv.js → dist/) as a child process and finds its URL in the log.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const TTV_BIN = fileURLToPath(new URL('../../bin/ttv.js', import.meta.url));

export interface TtvProcess {
  child: ChildProcess;
  /** The API's URL, or for `ttv worker` the worker id. */
  url: string;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const API_READY = /ttv: listening on (http:\/\/\S+)/;
const WORKER_READY = /ttv: worker (\S+) started/;

export async function startTtv(args: string[], env: Record<string, string> = {}): Promise<TtvProcess> {
  const ready = args[0] === 'worker' ? WORKER_READY : API_READY;
  const child = spawn(process.execPath, [TTV_BIN, ...args], {
    env: { ...process.env, TTV_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const onData = () => {
      const match = ready.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`ttv exited (${code}) before listening:\n${output}`)));
  });
  return {
    child,
    url,
    output: () => output,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await once(child, 'exit');
    },
  };
}

/**
 * Waits for processes started side by side. Unlike Promise.all it lets every start settle before it
 * throws the first failure, so that each process that did start is tracked for cleanup by then.
 */
export async function allStarted<T extends readonly unknown[]>(starts: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** Runs `ttv args…` to its end (no config file from the environment): exit code and output. */
export async function runTtv(
  args: string[],
  timeoutMs = 30_000,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [TTV_BIN, ...args], {
      env: { ...process.env, TTV_CONFIG: '' },
      timeout: timeoutMs,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
