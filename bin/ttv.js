#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (npm run build).
import { runCli } from '../dist/cli/main.js';

runCli(process.argv).then(
  (code) => { if (typeof code === 'number') process.exitCode = code; },
  (err) => { console.error(err instanceof Error ? err.message : String(err)); process.exitCode = 1; },
);
