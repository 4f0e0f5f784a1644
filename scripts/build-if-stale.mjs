// `npm start`'s build step: runs `npm run build` only when an input of the build is newer than the
// last successful build (dist/.build-stamp), so a second start does not spend its time in tsc.
// Inputs: everything under src/, the tsconfig files, the asset copier and the lockfile (the
// installed packages' types). A deleted source file also counts: its directory's mtime changes.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = 'dist/.build-stamp';
const INPUTS = [
  'src',
  'tsconfig.json',
  'tsconfig.build.json',
  'scripts/copy-build-assets.mjs',
  'package-lock.json',
  'package.json',
];

/** The newest mtime (ms) of a file, or of a directory and everything below it. */
function newest(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

const builtAt = existsSync(STAMP) ? statSync(STAMP).mtimeMs : 0;
const changedAt = Math.max(...INPUTS.map(newest));
if (builtAt > 0 && changedAt <= builtAt) {
  console.error('ttv: build is up to date (no source changed since the last build)');
  process.exit(0);
}
// Stamped with the time the build started: an edit made during the build triggers the next one.
const startedAt = new Date();
const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
writeFileSync(STAMP, `${startedAt.toISOString()}\n`);
utimesSync(STAMP, startedAt, startedAt);
