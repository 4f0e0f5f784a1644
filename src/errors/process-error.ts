import { TtvError } from './ttv-error.js';

/** A subprocess (ffmpeg, ffprobe, a local model) exited non-zero; `stderrTail` keeps the last lines for diagnosis. */
export class ProcessError extends TtvError {
  override readonly name = 'ProcessError';
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderrTail: string;
  constructor(command: string, exitCode: number | null, signal: NodeJS.Signals | null, stderrTail: string) {
    const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
    super(`${command} ${how}${stderrTail ? `: ${stderrTail.split('\n').filter(Boolean).slice(-3).join(' | ')}` : ''}`, {
      code: 'ProcessError',
    });
    this.exitCode = exitCode;
    this.signal = signal;
    this.stderrTail = stderrTail;
  }
}
