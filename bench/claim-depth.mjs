// Benchmark: what a claim costs with a deep queue. For each store (SQLite, Redis, PostgreSQL), fills
// the queue through the JobQueue port with 10 queued jobs, then with 100,000 (--quick: 10,000), and
// times claims through the lease port (claim → finish → release, the consumer loop's own calls), the
// queue kept at its depth by submitting one job per claim (not timed). Target (issue #34): claims at
// 100,000 queued within 20 % of 10 queued (p50 ratio ≤ 1.2), on every store.
// `node bench/claim-depth.mjs [--quick] [--stores embedded,redis,postgres]` (after `npm run build`).
// PostgreSQL: the machine's server (TTV_BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test),
// in a schema made for the run and dropped after it.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { BenchProcesses } from './lib/processes.mjs';
import { figure, finishBench } from './lib/report.mjs';
import { configSchema } from '../dist/config/schema.js';
import { openJobQueue } from '../dist/jobs/open-job-queue.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    generators: { type: 'string' },
    stores: { type: 'string', default: 'embedded,redis,postgres' },
  },
});
const DEEP = values.quick ? 10_000 : 100_000;
const SHALLOW = 10;
const CLAIMS = values.quick ? 200 : 500;

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** `batch` submissions at a time: PostgreSQL's request-path calls wait at most 2 s for one of its pool's connections. */
async function fill(queue, count, batch) {
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    await Promise.all(
      Array.from({ length: n }, (_, k) => queue.submit({ prompt: `Queued job ${i + k} for the claim bench.` })),
    );
  }
}

/** Claims `CLAIMS` jobs one after another; returns per-claim milliseconds and claims/s, or problems. */
async function claimRun(queue) {
  const leases = queue.openLeases();
  const signal = new AbortController().signal;
  const times = [];
  const problems = [];
  const t0 = performance.now();
  try {
    for (let i = 0; i < CLAIMS; i += 1) {
      const start = performance.now();
      const lease = await leases.claim('bench-worker', 60_000, signal);
      times.push(performance.now() - start);
      if (!lease) {
        problems.push(`claim ${i + 1} found no job although the queue held some`);
        break;
      }
      const ok = await leases.finish(
        lease,
        { artifactUri: `file:///bench/${lease.job.id}.mp4`, artifactKey: `bench/${lease.job.id}.mp4`, gcsUri: null },
        'finished by the claim bench',
      );
      if (!ok) problems.push(`finish of ${lease.job.id} was refused`);
      await leases.release(lease);
      await queue.submit({ prompt: `Refill ${i} for the claim bench.` });
    }
  } finally {
    await leases.close();
  }
  return { times, perSecond: (times.length / (performance.now() - t0)) * 1000, problems };
}

const procs = new BenchProcesses();
const rows = [];
const runs = [];
const notes = [];
try {
  const stores = values.stores.split(',');
  let redis = null;
  for (const store of stores) {
    const results = {};
    for (const depth of [SHALLOW, DEEP]) {
      let raw;
      if (store === 'embedded') raw = { data_dir: procs.tempDir(`claim-${depth}`) };
      else if (store === 'redis') {
        redis ??= await procs.redis();
        raw = { redis: { url: redis.url, key_prefix: `bench-claim-${depth}` } };
      } else if (store === 'postgres') {
        raw = { postgres: procs.postgres(`claim_${depth}`) };
      } else throw new Error(`--stores: unknown store "${store}" (embedded, redis, postgres)`);
      const queue = openJobQueue(configSchema.parse({ ...raw, worker: { max_attempts: 3 } }));
      try {
        const t0 = performance.now();
        await fill(queue, depth, store === 'postgres' ? 8 : 500);
        if (depth === DEEP)
          notes.push(
            `${store}: ${depth} jobs queued through the port in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
          );
        const run = await claimRun(queue);
        const depthAfter = (await queue.depth()).waiting;
        if (depthAfter !== depth) run.problems.push(`the queue held ${depthAfter} jobs after the run, not ${depth}`);
        results[depth] = run;
        runs.push({ label: `${store} at ${depth} queued`, problems: run.problems });
        notes.push(
          `${store} at ${depth} queued: ${run.times.length} claims, p50 ${pct(run.times, 50).toFixed(2)} ms, p99 ${pct(run.times, 99).toFixed(2)} ms, ${run.perSecond.toFixed(0)} claim+finish+refill/s`,
        );
      } finally {
        await queue.close();
      }
    }
    rows.push(
      figure({
        figure: `${store}: claim p50 at ${DEEP} queued`,
        value: pct(results[DEEP].times, 50),
        unit: 'ms',
        reference: `${SHALLOW} queued`,
        referenceValue: pct(results[SHALLOW].times, 50),
        op: '<=',
        target: 1.2,
      }),
    );
  }
} finally {
  await procs.stopAll();
}
finishBench({ bench: 'claim-depth', args: { json: values.json ?? null, quick: values.quick }, rows, runs, notes });
