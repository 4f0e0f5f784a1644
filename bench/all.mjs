// `npm run bench:all [-- --quick]`: runs every benchmark as its own process (so one's leftovers do not
// weigh on the next), prints ONE table (figure, value, reference, ratio, target, met), appends a dated
// run to bench/RESULTS.md, and exits non-zero when any bench answered with anything but what it
// meant to measure (a missed target is shown as "NOT met", it does not fail the run).
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './lib/cli-args.mjs';
import { repoRoot } from './lib/processes.mjs';
import { machine, markdownTable, textTable } from './lib/report.mjs';

const args = benchArgs();
const BENCHES = ['status-get', 'submit', 'scale', 'claim-depth', 'sse', 'cli-startup', 'paid-once'];
const dir = mkdtempSync(join(tmpdir(), 'ttv-bench-all-'));
const started = new Date();
const results = [];
try {
  for (const bench of BENCHES) {
    const json = join(dir, `${bench}.json`);
    const flags = [...(args.quick ? ['--quick'] : []), '--json', json, '--generators', args.generators.join(',')];
    const t0 = Date.now();
    const code = await new Promise((resolve) => {
      const child = spawn(process.execPath, [join(repoRoot, 'bench', `${bench}.mjs`), ...flags], {
        stdio: 'inherit',
        cwd: repoRoot,
      });
      child.once('exit', (c, s) => resolve(c ?? s));
    });
    const seconds = (Date.now() - t0) / 1000;
    if (existsSync(json)) results.push({ ...JSON.parse(readFileSync(json, 'utf8')), code, seconds });
    else
      results.push({
        bench,
        rows: [],
        notes: [],
        problems: [`${bench} exited ${code} without figures`],
        code,
        seconds,
      });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const rows = results.flatMap((r) => r.rows);
const problems = results.flatMap((r) => r.problems.map((p) => `${r.bench}: ${p}`));
const failedBenches = results
  .filter((r) => r.code !== 0 && r.problems.length === 0)
  .map((r) => `${r.bench}: exited ${r.code}`);
problems.push(...failedBenches);
const minutes = ((Date.now() - started.getTime()) / 60000).toFixed(1);
console.log(`\nbench:all${args.quick ? ' --quick' : ''}, ${started.toISOString()}, ${machine()}, ${minutes} min`);
console.log(textTable(rows));
const targets = rows.filter((r) => r.met !== null);
console.log(`\ntargets met: ${targets.filter((r) => r.met).length} of ${targets.length}`);
if (problems.length) {
  console.log(`\n${problems.length} problem(s): figures above are NOT trustworthy`);
  for (const p of problems) console.log(`  ✗ ${p}`);
} else {
  console.log('every bench counted only the answers it meant to measure');
}
const notes = results.flatMap((r) => r.notes.map((n) => `- ${r.bench}: ${n}`));
appendFileSync(
  join(repoRoot, 'bench/RESULTS.md'),
  `
## bench:all run ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC${args.quick ? ' (--quick)' : ''}

${machine()}; generators: ${args.generators.join(', ')}; ${minutes} min. ${problems.length ? `**${problems.length} problem(s): not trustworthy**` : 'Every bench counted only the answers it meant.'}
Targets met: ${targets.filter((r) => r.met).length} of ${targets.length}.

${markdownTable(rows)}

${notes.join('\n')}
${problems.map((p) => `- ✗ ${p}`).join('\n')}
`,
);
process.exitCode = problems.length ? 1 : 0;
