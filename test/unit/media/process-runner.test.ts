import { readdirSync, readFileSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { runProcess, STDERR_TAIL } from '../../../src/media/process-runner.js';
import { CanceledError } from '../../../src/errors/canceled-error.js';
import { ProcessError } from '../../../src/errors/process-error.js';
import { ProcessTimeoutError } from '../../../src/errors/process-timeout-error.js';
import { waitFor } from '../../support/wait-for.js';

/** Live processes whose whole command line is exactly `command` (a zombie's is empty). */
function pidsRunning(command: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') === command;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A sleep duration nobody else uses, so /proc can tell our sleeps apart from other tests' ones. */
let nextSleep = 700 + (process.pid % 97) * 3;
const uniqueSleep = () => (nextSleep += 1);

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

  it('keeps only a bounded tail of stderr', async () => {
    // The run of x's is one token the cut falls into: it goes (see the next test); " END" stays.
    const err = await runProcess('sh', [
      '-c',
      'head -c 100000 /dev/zero | tr "\\0" x >&2; echo " END" >&2; exit 1',
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    const tail = (err as ProcessError).stderrTail;
    expect(tail.length).toBeLessThanOrEqual(STDERR_TAIL);
    expect(tail.endsWith('END\n')).toBe(true);
  });

  it('cuts the stderr tail between tokens: the token the cut falls into goes, so no part of a secret shows', async () => {
    // The secret line straddles the tail's cut (8 KiB of short lines follow it).
    const secret = 'S3CRETs3cretS3CRETs3cretS3CRET';
    const err = await runProcess('sh', [
      '-c',
      `printf 'key=%s\\n' ${secret} >&2; i=0; while [ $i -lt ${STDERR_TAIL / 8 - 2} ]; do echo 'ok line' >&2; i=$((i+1)); done; exit 1`,
    ]).catch((e: unknown) => e);
    const tail = (err as ProcessError).stderrTail;
    expect(tail.length).toBeLessThanOrEqual(STDERR_TAIL);
    expect(tail.endsWith('ok line\nok line\n')).toBe(true);
    for (let i = 0; i + 6 <= secret.length; i += 1) expect(tail).not.toContain(secret.slice(i, i + 6));
  });

  it('hands on the head of a runaway stderr line cut between tokens, and skips the rest of it', async () => {
    const lines: string[] = [];
    const secret = 'S3CRETs3cretS3CRETs3cretS3CRET';
    // "word " × (STDERR_TAIL/5 − 2), then the secret across the cut, then more of the same line: more
    // than a pipe read (64 KiB) past the cut, so the line cannot arrive whole in one read (a line that
    // does is handed on whole, for the sink to redact).
    await runProcess(
      'sh',
      [
        '-c',
        `echo before >&2; i=0; while [ $i -lt ${Math.floor(STDERR_TAIL / 5) - 2} ]; do printf 'word ' >&2; i=$((i+1)); done; printf '${secret}%.0s' 1 2 3 >&2; head -c ${STDERR_TAIL * 12} /dev/zero | tr '\\0' x >&2; echo ' end' >&2; echo after >&2`,
      ],
      { onStderrLine: (l) => lines.push(l) },
    );
    expect(lines, JSON.stringify(lines.map((l) => l.slice(0, 80)))).toHaveLength(3);
    expect(lines[0]).toBe('before');
    expect(lines[1]).toMatch(/^(word )+\[…\]$/);
    expect(lines[2]).toBe('after');
  });

  it('rejects with ProcessError when the command cannot be started', async () => {
    const err = await runProcess('/nonexistent/ttv-no-such-binary', []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect((err as ProcessError).message).toMatch(/ttv-no-such-binary could not be started \(ENOENT\)/);
  });

  it('hands stderr to onStderrLine line by line, \\r-separated updates included', async () => {
    const lines: string[] = [];
    await runProcess('sh', ['-c', 'printf "one\\ntwo\\rthree\\r\\nfour" >&2'], { onStderrLine: (l) => lines.push(l) });
    expect(lines).toEqual(['one', 'two', 'three', 'four']);
  });

  it('kills the whole process group on abort, with SIGKILL when SIGTERM is ignored', async () => {
    const a = uniqueSleep();
    const b = uniqueSleep();
    const controller = new AbortController();
    const graceMs = 300;
    // The shell ignores SIGTERM, and its sleeps inherit that; the background sleep (a grandchild of
    // ours) is a second member of the same group. Only the SIGKILL after the grace period ends them.
    const run = runProcess('sh', ['-c', `trap '' TERM; sleep ${a} & sleep ${b}`], {
      signal: controller.signal,
      graceMs,
    });
    await waitFor(async () =>
      pidsRunning(`sleep ${a}`).length === 1 && pidsRunning(`sleep ${b}`).length === 1 ? true : null,
    );
    const abortedAt = Date.now();
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(CanceledError);
    // The leader outlived SIGTERM, so the call settled only after the grace period's SIGKILL.
    expect(Date.now() - abortedAt).toBeGreaterThanOrEqual(graceMs - 20);
    await waitFor(async () =>
      pidsRunning(`sleep ${a}`).length + pidsRunning(`sleep ${b}`).length === 0 ? true : null,
    );
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('settles without waiting for the grace period when the group obeys SIGTERM', async () => {
    const s = uniqueSleep();
    const controller = new AbortController();
    const run = runProcess('sleep', [String(s)], { signal: controller.signal, graceMs: 30_000 });
    await waitFor(async () => (pidsRunning(`sleep ${s}`).length === 1 ? true : null));
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(CanceledError);
    expect(pidsRunning(`sleep ${s}`)).toEqual([]);
  });

  it('does not let a leftover group member hold the call open after the leader exits', async () => {
    const s = uniqueSleep();
    // The background sleep inherits stdout; without the group kill the call would last `s` seconds.
    const result = await runProcess('sh', ['-c', `sleep ${s} & echo started`]);
    expect(result.stdout).toBe('started\n');
    await waitFor(async () => (pidsRunning(`sleep ${s}`).length === 0 ? true : null));
  });

  it('removes its abort listener once the child has exited', async () => {
    const controller = new AbortController();
    await runProcess('sh', ['-c', 'exit 0'], { signal: controller.signal });
    await runProcess('sh', ['-c', 'exit 2'], { signal: controller.signal }).catch(() => undefined);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    // An abort after the fact changes nothing.
    controller.abort();
  });

  it('stops the whole group at its deadline, SIGKILL when SIGTERM is ignored, and says why', async () => {
    const a = uniqueSleep();
    const b = uniqueSleep();
    const run = runProcess('sh', ['-c', `trap '' TERM; sleep ${a} & sleep ${b}`], {
      timeoutMs: 300,
      timeoutSource: 'test.deadline',
      graceMs: 200,
    });
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessTimeoutError);
    expect((err as Error).message).toBe(
      'sh did not finish within 0.3 s (test.deadline); its process group was stopped',
    );
    // Settled only once the group was gone.
    expect(pidsRunning(`sleep ${a}`)).toEqual([]);
    expect(pidsRunning(`sleep ${b}`)).toEqual([]);
  });

  it('keeps the outcome of a process that ends before its deadline', async () => {
    expect((await runProcess('sh', ['-c', 'echo done'], { timeoutMs: 60_000 })).stdout).toBe('done\n');
    const err = await runProcess('sh', ['-c', 'exit 4'], { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect((err as ProcessError).exitCode).toBe(4);
  });

  it('reports a cancel as a cancel, even with a deadline pending', async () => {
    const s = uniqueSleep();
    const controller = new AbortController();
    const run = runProcess('sleep', [String(s)], { signal: controller.signal, timeoutMs: 60_000 });
    await waitFor(async () => (pidsRunning(`sleep ${s}`).length === 1 ? true : null));
    controller.abort();
    await expect(run).rejects.toBeInstanceOf(CanceledError);
  });

  it('writes `stdin` to the child and closes it', async () => {
    expect((await runProcess('cat', [], { stdin: Buffer.from('frame bytes') })).stdout).toBe('frame bytes');
    // A child that reads none of it still settles on its own exit status.
    expect((await runProcess('sh', ['-c', 'echo ignored'], { stdin: Buffer.alloc(4 * 1024 * 1024) })).stdout).toBe(
      'ignored\n',
    );
  });

  it('does not start when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const marker = `/tmp/ttv-runner-should-not-exist-${process.pid}`;
    await expect(runProcess('sh', ['-c', `touch ${marker}`], { signal: controller.signal })).rejects.toBeInstanceOf(
      CanceledError,
    );
    expect(() => readFileSync(marker)).toThrow();
  });
});
