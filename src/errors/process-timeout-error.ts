import { TtvError } from './ttv-error.js';

/**
 * A subprocess ran past its deadline and its process group was stopped. The message names the
 * program and the deadline (and the config key it came from), never the arguments or paths.
 */
export class ProcessTimeoutError extends TtvError {
  override readonly name = 'ProcessTimeoutError';
  readonly timeoutMs: number;
  constructor(program: string, timeoutMs: number, source?: string) {
    super(
      `${program} did not finish within ${formatSeconds(timeoutMs)}${source ? ` (${source})` : ''}; its process group was stopped`,
      { code: 'ProcessTimeout' },
    );
    this.timeoutMs = timeoutMs;
  }
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
