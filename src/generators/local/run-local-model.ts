// Runs one local model process (Wan2.1, HunyuanVideo) on allocated GPUs: its own process group,
// the job's cancel plus a wall-clock limit, a throttled view of its stderr, and a check that it
// really wrote a clip. Failures become GenerationError; a cancel stays CanceledError.
import { mkdir, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { AppConfig } from '../../config/schema.js';
import { CanceledError } from '../../errors/canceled-error.js';
import { GenerationError } from '../../errors/generation-error.js';
import { ProcessError } from '../../errors/process-error.js';
import { runProcess } from '../../media/process-runner.js';
import type { GenerateHooks } from '../types.js';
import { redactedClip, redactedTail } from '../../logging/redact.js';

export type LocalBackendsConfig = AppConfig['local_backends'];

export interface LocalModelRun {
  /** Backend id, for errors and log lines. */
  backend: string;
  command: string;
  args: string[];
  /** Absolute working directory (the model's repository). */
  cwd: string;
  /** Device ids for CUDA_VISIBLE_DEVICES. */
  gpus: number[];
  /** The clip the process must write. */
  outputPath: string;
  settings: LocalBackendsConfig;
  /** Values (ttv's vendor keys, tokens) that must not reach the model's environment. */
  hiddenValues?: readonly string[];
}

/** The service's environment (PATH, HF caches, …) minus variables holding ttv's own secrets. */
export function modelEnvironment(hidden: readonly string[], gpus: number[]): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined && !hidden.includes(value)) env[name] = value;
  env.CUDA_VISIBLE_DEVICES = gpus.join(',');
  return env;
}

/** At most one forwarded stderr line per this interval, so a chatty model cannot flood the job log. */
const LOG_INTERVAL_MS = 1000;
const INTERESTING = /error|exception|traceback|fail|warn|\d+%|\d+\/\d+/i;
const PROGRESS = /(\d{1,3})%\|/;

/** Stderr handler: progress bars (tqdm "45%|") drive onProgress; progress and error lines reach the log, throttled. */
export function stderrForwarder(
  backend: string,
  hooks: Pick<GenerateHooks, 'log' | 'onProgress'>,
  now: () => number = Date.now,
): (line: string) => void {
  let lastLogged = -Infinity;
  return (raw) => {
    const line = raw.trim();
    if (!line) return;
    const pct = PROGRESS.exec(line);
    if (pct) hooks.onProgress?.(Math.min(1, Number(pct[1]) / 100));
    if (!hooks.log || !INTERESTING.test(line)) return;
    const t = now();
    if (t - lastLogged < LOG_INTERVAL_MS) return;
    lastLogged = t;
    hooks.log(`${backend}: ${redactedClip(line, 300)}`);
  };
}

function stderrTail(stderr: string): string {
  const lines = stderr
    .split(/\r\n|\n|\r/)
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-3);
  return redactedTail(lines.join(' | '), 600);
}

function seconds(value: number): string {
  return `${Number(value.toFixed(3))} s`;
}

export async function runLocalModel(run: LocalModelRun, hooks: GenerateHooks): Promise<void> {
  const { backend, settings } = run;
  if (hooks.signal.aborted) throw new CanceledError();
  await mkdir(dirname(run.outputPath), { recursive: true });
  // A clip left by an earlier attempt must not pass for this one's output.
  await rm(run.outputPath, { force: true });

  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), settings.timeout_seconds * 1000);
  const signal = AbortSignal.any([hooks.signal, timeout.signal]);
  const program = basename(run.command);
  try {
    await runProcess(run.command, run.args, {
      cwd: run.cwd,
      env: modelEnvironment(run.hiddenValues ?? [], run.gpus),
      signal,
      graceMs: settings.kill_grace_seconds * 1000,
      onStderrLine: stderrForwarder(backend, hooks),
    });
  } catch (err) {
    // The job's own cancel wins over everything else, including a timeout that fired meanwhile.
    if (hooks.signal.aborted) throw err instanceof CanceledError ? err : new CanceledError();
    if (timeout.signal.aborted) {
      throw new GenerationError(
        backend,
        'timeout',
        `${program} timed out after ${seconds(settings.timeout_seconds)} (local_backends.timeout_seconds); its process group was stopped`,
        false,
        { cause: err },
      );
    }
    if (err instanceof ProcessError) {
      if (err.exitCode === null && err.signal === null) {
        // runProcess reports a spawn failure this way: the interpreter or launcher is not there.
        throw new GenerationError(
          backend,
          'config',
          `${err.message}; check local_backends.python_path / local_backends.torchrun_path`,
          false,
          { cause: err },
        );
      }
      const how = err.signal ? `was killed by ${err.signal}` : `exited with code ${err.exitCode}`;
      const tail = stderrTail(err.stderrTail);
      throw new GenerationError(backend, 'process', `${program} ${how}${tail ? `: ${tail}` : ''}`, false, {
        cause: err,
      });
    }
    throw err;
  } finally {
    clearTimeout(timer);
  }

  const size = await stat(run.outputPath).then(
    (s) => (s.isFile() ? s.size : -1),
    () => -1,
  );
  if (size < 0) throw new GenerationError(backend, 'no-output', `${program} exited successfully but wrote no clip`);
  if (size < settings.min_output_bytes) {
    throw new GenerationError(
      backend,
      'no-output',
      `${program} wrote a clip of ${size} bytes, below local_backends.min_output_bytes (${settings.min_output_bytes})`,
    );
  }
}
