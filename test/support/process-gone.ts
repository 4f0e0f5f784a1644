// Whether a process has ended, for tests that kill process groups.
import { readFileSync } from 'node:fs';

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
