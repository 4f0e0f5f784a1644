// For the older benches (queue, burst) that keep their own list of children: a child process started
// and awaited until its output matches a pattern, on processes.mjs's helpers.

import { spawn } from 'node:child_process';
import { freePort, waitForOutput } from './processes.mjs';

export { freePort };

/** Spawns `cmd`, pushes it onto `children`, and resolves with the pattern's first group once seen. */
export function startUntil(children, cmd, args, pattern) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return waitForOutput(child, [child.stdout, child.stderr], pattern, cmd);
}
