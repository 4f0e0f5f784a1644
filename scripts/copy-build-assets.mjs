// Copies the non-TypeScript files the compiled code reads at run time (the Redis Lua scripts) from
// src/ into dist/, next to the modules that load them. Run by `npm run build` after tsc.
import { cpSync } from 'node:fs';

const ASSETS = ['jobs/redis/lua'];
for (const dir of ASSETS) {
  cpSync(new URL(`../src/${dir}`, import.meta.url), new URL(`../dist/${dir}`, import.meta.url), { recursive: true });
}
