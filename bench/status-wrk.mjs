// The status-read figure of issue 33, reproducible by one command: wrk at 64 connections on
// GET /v1/jobs/{id} of a finished job, against `ttv serve` embedded as a user runs it (SQLite, access
// log on, in-process worker running, rate limits raised out of the way) and against a bare node:http
// server answering the same JSON from memory, back to back in each round, so that both meet the same
// machine. Only 200 answers whose sampled bodies are the job count (bench/lib/answer-verdict.mjs):
// anything else makes the run dirty and the bench exit non-zero.
// Target: ttv ≥ 50 % of bare's req/s with p99 ≤ 3× bare's, in a round. Every round is printed with
// the load average (other work on the machine weighs on both servers, but not equally).
// `node bench/status-wrk.mjs [--rounds 3] [--seconds 10]` (builds dist/ first when a source changed;
// wrk from `bash scripts/system-deps.sh bench`).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measureLoad } from './lib/load.mjs';
import { BenchProcesses, postJson, repoRoot, waitForJob } from './lib/processes.mjs';
import { LIMITS_RAISED } from './lib/limits.mjs';
import { figure, finishBench } from './lib/report.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    json: { type: 'string' },
  },
  strict: true,
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const WARMUP = 2;
const MIN_SHARE = 0.5;
const MAX_P99 = 3;

if (spawnSync('wrk', ['--version']).error) {
  console.error('status-wrk: wrk is not installed (bash scripts/system-deps.sh bench)');
  process.exit(2);
}
const build = spawnSync(process.execPath, [join(repoRoot, 'scripts/build-if-stale.mjs')], {
  cwd: repoRoot,
  stdio: 'inherit',
});
if (build.status !== 0) process.exit(build.status ?? 1);

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const procs = new BenchProcesses();
const rows = [];
const runs = [];
const notes = [];
try {
  const ttv = await procs.ttv({
    label: 'status-wrk',
    config: {
      security: LIMITS_RAISED,
      segment_duration_seconds: 1,
      procedural: { width: 160, height: 90, fps: 12, max_segments: 1 },
    },
  });
  const { id } = await postJson(`${ttv.url}/v1/jobs`, { prompt: 'A finished job to read.' });
  const job = await waitForJob(ttv.url, id, 'finished');
  const bare = await procs.bare('bare-server.mjs', [JSON.stringify(job)]);
  const target = (url) => ({
    generator: 'wrk',
    url: `${url}/v1/jobs/${id}`,
    seconds: SECONDS,
    warmupSeconds: WARMUP,
    connections: 64,
    expectStatus: 200,
    needle: `"id":"${id}"`,
    checkBody: (body) => {
      const j = JSON.parse(body);
      return j.id === id && j.status === 'finished' && typeof j.created_at === 'string';
    },
  });
  let answered = 0;
  for (let round = 1; round <= ROUNDS; round += 1) {
    const loadBefore = load();
    const b = await measureLoad(target(bare.url));
    const t = await measureLoad(target(ttv.url));
    answered += t.ok;
    runs.push({ label: `round ${round} bare`, ...b }, { label: `round ${round} ttv`, ...t });
    rows.push(
      figure({
        figure: `round ${round}: ttv embedded req/s (wrk -c64, 2xx only)`,
        value: t.rps,
        unit: 'req/s',
        reference: 'bare',
        referenceValue: b.rps,
        op: '>=',
        target: MIN_SHARE,
      }),
    );
    rows.push(
      figure({
        figure: `round ${round}: ttv embedded p99`,
        value: t.p99,
        unit: 'ms',
        reference: 'bare p99',
        referenceValue: b.p99,
        op: '<=',
        target: MAX_P99,
      }),
    );
    notes.push(
      `round ${round}: bare ${b.rps.toFixed(0)} req/s p50 ${b.p50.toFixed(2)} p99 ${b.p99.toFixed(2)} ms; ttv ${t.rps.toFixed(0)} req/s p50 ${t.p50.toFixed(2)} p99 ${t.p99.toFixed(2)} max ${t.max.toFixed(1)} ms; load average ${loadBefore} before, ${load()} after`,
    );
  }
  await procs.stop(ttv.child);
  // The conditions held: the in-process worker ran, and the access log wrote a line per answer.
  const log = readFileSync(ttv.logFile, 'utf8');
  const lines = log.split('\n').filter((l) => l.includes('"msg":"request"')).length;
  notes.push(
    `ttv: ${lines} access-log lines for ${answered} measured answers (plus warm-ups); worker ${log.includes('"msg":"worker started"') ? 'running' : 'NOT running'}`,
  );
  if (lines < answered)
    runs.push({
      label: 'access log',
      problems: [`only ${lines} access-log lines for ${answered} answers: the access log was not on`],
    });
  if (!log.includes('"msg":"worker started"'))
    runs.push({ label: 'worker', problems: ['the in-process worker did not start'] });
} finally {
  await procs.stopAll();
}
finishBench({ bench: 'status-wrk', args: { json: values.json ?? null, quick: false }, rows, runs, notes });
