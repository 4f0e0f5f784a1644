import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../../src/media/process-runner.js';
import { CanceledError } from '../../../src/errors/canceled-error.js';
import { ProcessError } from '../../../src/errors/process-error.js';
import { waitFor } from '../../helpers/wait-for.js';

/** Live processes whose whole command line is exactly `command` (a zombie's is empty). */
function pidsRunning(command: string): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((e) => {
    try { return readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') === command; } catch { return false; }
  }).map(Number);
}

describe('runProcess', () => {
  it('returns stdout of a successful command', async () => {
    expect((await runProcess('sh', ['-c', 'echo hello'])).stdout).toBe('hello\n');
  });

  it('rejects with ProcessError and the stderr tail on a non-zero exit', async () => {
    const err = await runProcess('sh', ['-c', 'echo broken-input >&2; exit 3']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect((err as ProcessError).exitCode).toBe(3);
    expect((err as ProcessError).message).toContain('broken-input');
  });

  it('kills the whole process group on abort, with SIGKILL when SIGTERM is ignored', async () => {
    // Unusual durations identify our sleeps; a zombie's cmdline is empty, so only live ones match.
    const a = 900 + (process.pid % 50);
    const b = a + 50;
    const controller = new AbortController();
    // The leader ignores SIGTERM; a background sleep is a second member of the same group.
    const run = runProcess('sh', ['-c', `trap '' TERM; sleep ${a} & sleep ${b}`], { signal: controller.signal, graceMs: 200 });
    await waitFor(async () => (pidsRunning(`sleep ${a}`).length === 1 && pidsRunning(`sleep ${b}`).length === 1 ? true : null));
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(CanceledError);
    await waitFor(async () => (pidsRunning(`sleep ${a}`).length + pidsRunning(`sleep ${b}`).length === 0 ? true : null));
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runProcess('sh', ['-c', 'exit 0'], { signal: controller.signal })).rejects.toBeInstanceOf(CanceledError);
  });
});
