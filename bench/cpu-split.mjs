// Diagnosis of a status read's cost: server CPU per answered request, split into the main thread's
// user and kernel time and the other threads' time (read from /proc/<pid>/task/*/stat around each wrk
// run), for the bare server and `ttv serve` (embedded; with --base DIR also the build in another
// checkout, for an A/B of a change). Rounds alternate between the servers and the median is printed,
// so a drift of the machine hits all of them alike. Prints; sets no targets.
// `node bench/cpu-split.mjs [--quick] [--base /path/to/other/checkout] [--node-args "--flag …"] [--connections 64]` (after
// `npm run build` in each; --base may be given more than once); --node-args adds this build once more,
// started with those Node/V8 flags.
import { readFileSync, readdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { measureLoad } from './lib/load.mjs';
import { BenchProcesses, postJson, waitForJob, repoRoot } from './lib/processes.mjs';
import { LIMITS_RAISED } from './lib/limits.mjs';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    base: { type: 'string', multiple: true },
    'node-args': { type: 'string' },
    connections: { type: 'string', default: '64' },
  },
  strict: true,
});
const ROUNDS = values.quick ? 3 : 5;
const SECONDS = values.quick ? 3 : 5;
const WARMUP = 1;
const CONNECTIONS = Number(values.connections);
const small = { segment_duration_seconds: 1, procedural: { width: 160, height: 90, fps: 12, max_segments: 1 } };

/** Per thread id of `pid`: [user ms, system ms] (clock ticks of 10 ms); the main thread's id is the pid. */
function threadTimes(pid) {
  const out = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ');
      out.set(tid, [Number(fields[11]) * 10, Number(fields[12]) * 10]);
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

function split(pid, before, after, requests) {
  let otherMs = 0;
  for (const [tid, [u, s]] of after) {
    if (tid === String(pid)) continue;
    const [u0, s0] = before.get(tid) ?? [0, 0];
    otherMs += u - u0 + (s - s0);
  }
  const [u1, s1] = after.get(String(pid));
  const [u0, s0] = before.get(String(pid));
  const per = (ms) => (ms * 1000) / requests;
  return { user: per(u1 - u0), sys: per(s1 - s0), other: per(otherMs) };
}

const procs = new BenchProcesses();
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const nodeArgs = values['node-args']?.split(/\s+/).filter(Boolean) ?? [];
  const checkouts = [
    ['ttv', repoRoot, []],
    ...(values.base ?? []).map((root, i, all) => [all.length > 1 ? `ttv (base ${i + 1})` : 'ttv (base)', root, []]),
    ...(nodeArgs.length ? [['ttv (node args)', repoRoot, nodeArgs]] : []),
  ];
  const targets = [];
  let job;
  for (const [name, root, args] of checkouts) {
    const s = await procs.ttv({
      label: `cpu-split-${targets.length}`,
      root,
      nodeArgs: args,
      config: { security: LIMITS_RAISED, ...small },
    });
    const { id } = await postJson(`${s.url}/v1/jobs`, { prompt: 'A finished job to read.' });
    job = await waitForJob(s.url, id, 'finished');
    targets.push({ name, url: `${s.url}/v1/jobs/${id}`, id, pid: s.child.pid });
  }
  const bare = await procs.bare('bare-server.mjs', [JSON.stringify(job)]);
  targets.unshift({ name: 'bare node:http', url: `${bare.url}/v1/jobs/${job.id}`, id: job.id, pid: bare.child.pid });
  const results = new Map(targets.map((t) => [t.name, []]));
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const t of targets) {
      const before = threadTimes(t.pid);
      const r = await measureLoad({
        generator: 'wrk',
        url: t.url,
        seconds: SECONDS,
        warmupSeconds: WARMUP,
        connections: CONNECTIONS,
        expectStatus: 200,
        needle: `"id":"${t.id}"`,
        checkBody: (b) => JSON.parse(b).id === t.id,
      });
      if (!r.clean)
        throw new Error(`${t.name}: answers other than the status read came back: ${r.problems.join('; ')}`);
      // The warm-up's answers are in the CPU interval too: count them at the measured rate.
      results
        .get(t.name)
        .push({ rps: r.rps, p99: r.p99, ...split(t.pid, before, threadTimes(t.pid), r.ok * (1 + WARMUP / SECONDS)) });
    }
  }
  console.log(
    `\ncpu-split: wrk -c${CONNECTIONS}, ${ROUNDS} rounds of ${SECONDS} s, medians; server CPU in µs per answered request`,
  );
  console.log(
    'server'.padEnd(16),
    'req/s'.padStart(8),
    'p99 ms'.padStart(8),
    'main user'.padStart(10),
    'main sys'.padStart(9),
    'other thr'.padStart(10),
    'total'.padStart(7),
  );
  for (const [name, rs] of results) {
    const m = (k) => median(rs.map((x) => x[k]));
    console.log(
      name.padEnd(16),
      m('rps').toFixed(0).padStart(8),
      m('p99').toFixed(2).padStart(8),
      m('user').toFixed(1).padStart(10),
      m('sys').toFixed(1).padStart(9),
      m('other').toFixed(1).padStart(10),
      (m('user') + m('sys') + m('other')).toFixed(1).padStart(7),
    );
  }
} finally {
  await procs.stopAll();
}
