// Runs the whole vitest suite and ends with the plain summary line CI reads: "N passed, N failed".
// Before it, the ten slowest tests and the suite's wall time, read from vitest's JSON report.
// Extra arguments go to vitest (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

mkdirSync('test-results', { recursive: true });
// No test may write into the checkout (data dirs belong in temp dirs): what appears at its top
// level during the run is named and fails the run.
const entriesBefore = new Set(readdirSync('.'));
const startedAt = Date.now();
const report = 'test-results/vitest.json';
const result = spawnSync(
  process.execPath,
  [
    'node_modules/vitest/vitest.mjs',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...process.argv.slice(2),
  ],
  // V8's compile cache (Node >= 22.1) for the test workers and every process they spawn: most of
  // the suite's CPU time is Node starting up and loading the same modules again.
  {
    stdio: 'inherit',
    env: {
      ...process.env,
      NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'ttv-test-compile-cache'),
    },
  },
);
let passed = 0;
let failed = 0;

/** The `count` slowest tests of a vitest JSON report, as printable lines. */
function slowest(json, count) {
  const tests = (json.testResults ?? []).flatMap((file) =>
    (file.assertionResults ?? []).map((t) => ({
      ms: t.duration ?? 0,
      name: `${relative(process.cwd(), file.name)} > ${t.fullName ?? t.title}`,
      status: t.status,
    })),
  );
  return tests
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count)
    .map((t) => `${(t.ms / 1000).toFixed(1).padStart(7)} s  ${t.name}${t.status === 'passed' ? '' : ` (${t.status})`}`);
}

try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  const lines = slowest(json, 10);
  if (lines.length > 0) console.log(`\nslowest ${lines.length} tests:\n${lines.join('\n')}`);
  console.log(`suite wall time: ${((Date.now() - startedAt) / 1000).toFixed(0)} s\n`);
  passed = json.numPassedTests ?? 0;
  failed =
    (json.numFailedTests ?? 0) +
    (json.numTotalTestSuites && json.success === false && json.numFailedTests === 0 ? 1 : 0);
} catch {
  failed = Math.max(failed, 1);
}
const written = readdirSync('.').filter((entry) => !entriesBefore.has(entry));
if (written.length > 0) {
  console.log(`tests wrote into the checkout: ${written.join(', ')} (point them at a temp data dir)`);
  failed += 1;
}
console.log(`suite ran on Node.js ${process.version}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(result.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
