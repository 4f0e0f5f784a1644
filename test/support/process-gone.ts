// Whether a process has ended, for tests that kill process groups.
import { readdirSync, readFileSync } from 'node:fs';

/**
 * Gone, or a zombie waiting to be reaped: it has been killed and only waits for its reaper, and an
 * orphaned grandchild is reaped by PID 1, which in some sandboxes never does so.
 */
export function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    // The state follows the command name in parentheses, which may itself contain ") ".
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z';
  } catch {
    return true;
  }
}

/** Live processes whose command line contains `needle` (e.g. an ffmpeg writing under a job's id). */
export function pidsMentioning(needle: string): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle);
      } catch {
        return false;
      }
    })
    .map(Number);
}
