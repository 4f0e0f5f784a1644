// Copies the non-TypeScript files the compiled code reads at run time (the Redis Lua scripts, the
// model catalog's vendor files) from src/ into dist/, next to the modules that load them. Run by
// `npm run build` after tsc.
import { cpSync, rmSync } from 'node:fs';

const ASSETS = ['jobs/redis/lua', 'catalog/vendors'];
for (const dir of ASSETS) {
  // A file removed from src/ must not live on in dist/ (a stale vendor file would still be read).
  rmSync(new URL(`../dist/${dir}`, import.meta.url), { recursive: true, force: true });
  cpSync(new URL(`../src/${dir}`, import.meta.url), new URL(`../dist/${dir}`, import.meta.url), { recursive: true });
}
