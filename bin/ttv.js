#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (npm run build).
import module from 'node:module';

// Node >= 22.1 keeps V8's compiled code of ttv and its dependencies between runs (in the OS temp dir),
// so a command or a process start skips most parsing; on Node 20 the call does not exist.
module.enableCompileCache?.();
const { runCli } = await import('../dist/cli/main.js');

runCli(process.argv).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  },
);
