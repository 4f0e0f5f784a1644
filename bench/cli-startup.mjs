// Benchmark: start-up of a client command, `ttv status ID` against a running server, from spawn to
// exit (it prints one job), median of 10 runs, next to a bare `node -e ""` run in the same loop.
// Target (issue #18): under 0.4 s. A run that exits non-zero or does not print the job is a problem,
// not a figure.
// `npm run build && node bench/cli-startup.mjs`; --json FILE for bench:all.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchArgs } from './lib/cli-args.mjs';
import { BenchProcesses, postJson, repoRoot } from './lib/processes.mjs';
import { figure, finishBench } from './lib/report.mjs';

const args = benchArgs();
const RUNS = 10;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const procs = new BenchProcesses();
const rows = [];
const runs = [];
try {
  const { url } = await procs.ttv({ label: 'cli', config: { logging: { level: 'warn' } } });
  const job = await postJson(`${url}/v1/jobs`, { prompt: 'Bench.' });
  const ttv = [];
  const bare = [];
  const problems = [];
  const timed = (argv, check) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, argv, { encoding: 'utf8', cwd: repoRoot });
    const ms = performance.now() - t0;
    const problem =
      r.status !== 0 ? `${argv.join(' ')} exited ${r.status}: ${r.stderr.slice(-300)}` : check?.(r.stdout);
    if (problem) problems.push(problem);
    return ms;
  };
  for (let i = 0; i < RUNS; i += 1) {
    ttv.push(
      timed([join(repoRoot, 'bin/ttv.js'), 'status', job.id, '--server', url], (out) =>
        out.includes(job.id) ? null : `ttv status printed no job id: ${out.slice(0, 200)}`,
      ),
    );
    bare.push(timed(['-e', '']));
  }
  runs.push({ label: `ttv status ID ×${RUNS}`, problems });
  const t = median(ttv);
  const b = median(bare);
  rows.push(
    figure({
      figure: `ttv status ID start-up, spawn to exit (median of ${RUNS})`,
      value: t,
      unit: 'ms',
      op: '<=',
      target: 400,
    }),
  );
  rows.push(figure({ figure: `bare node -e "" in the same loop (median of ${RUNS})`, value: b, unit: 'ms' }));
  rows.push(figure({ figure: 'ttv status ID start-up minus bare node', value: t - b, unit: 'ms' }));
} finally {
  await procs.stopAll();
}
finishBench({
  bench: 'cli-startup',
  args,
  rows,
  runs,
  notes: ['a loaded machine inflates both medians; their difference is what ttv adds'],
});
