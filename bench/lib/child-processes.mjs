// The two small process helpers the older benches (queue, burst) share: a free loopback port, and a
// child process started and awaited until its output matches a pattern. Every child is recorded so
// the bench can kill what it started on the way out.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';

export async function freePort() {
  const s = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/** Spawns `cmd`, pushes it onto `children`, and resolves with the pattern's first group once seen. */
export function startUntil(children, cmd, args, pattern) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (c) => {
      if (out === null) return;
      out += c;
      const m = pattern.exec(out);
      if (m) { out = null; resolve(m[1] ?? ''); }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${cmd} exited ${code}: ${out ?? ''}`)));
  });
}
