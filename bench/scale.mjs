// Benchmark: read cost at scale. Seeds 100,000 jobs (--quick: 10,000) through the queue port
// (lib/seed-jobs.mjs), then measures the p99 of GET /v1/jobs/{id}, GET /v1/jobs?limit=20, the 50th
// page by cursor, GET /v1/jobs?status=failed, /metrics and /readyz (16 connections, wrk when
// available), each against the same figure with 10 jobs stored; both adapters. Target (issue #17):
// within 20 % (ratio ≤ 1.2). Also reports the SQLite file size and Redis memory per job.
//
// How the comparison is kept fair on a shared machine:
// - Both stores are served at once and each read is measured in alternating rounds (small, large,
//   large, small, …); a figure is the median p99 of its rounds, so a load spike from another process
//   lands on both sizes instead of deciding the ratio.
// - A list read on 10 stored jobs returns fewer jobs than on 10,000 (limit=20: 10 instead of 20;
//   status=failed: 2 instead of 20; the reference for page 50 is a cursor page of 9), and a page's
//   cost grows with the jobs in it, not with the jobs stored. The target rows therefore ask the
//   large store for as many jobs as the 10-job store returns (same query, same depth, smaller
//   limit); the reads as the issue names them are reported next to them (no target), so the cost of
//   the bigger answer stays visible.
// - Seeding writes the store without a server, so the job counters of /metrics have not counted the
//   seeded journal yet; one scrape before measuring does that catch-up (once per store, as a served
//   store's counters keep up by themselves), which is not what a steady-state scrape costs.
// `npm run bench:scale [-- --quick]`; --json FILE for bench:all. To re-run a few figures while diagnosing:
// TTV_SCALE_ADAPTERS=embedded TTV_SCALE_READS=/readyz,/metrics node bench/scale.mjs --quick
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { benchArgs } from './lib/cli-args.mjs';
import { measureLoad } from './lib/load.mjs';
import { BenchProcesses, getJson } from './lib/processes.mjs';
import { figure, finishBench } from './lib/report.mjs';
import { seedJobs } from './lib/seed-jobs.mjs';

const args = benchArgs();
const LARGE = args.quick ? 10_000 : 100_000;
const SMALL = 10;
const SECONDS = args.quick ? 2 : 5;
const ROUNDS = 3;
const PAGE = 50;
const generator = args.generators.includes('wrk') ? 'wrk' : args.generators[0];
const LIMITS_RAISED = { read_rate_limit_per_minute: 1_000_000_000, rate_limit_per_minute: 1_000_000_000 };

function redisUsedMemory(port) {
  const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'memory'], { encoding: 'utf8' });
  return Number(/used_memory:(\d+)/.exec(info)[1]);
}

/** The cursor of the 50th page (limit 20), or for a small store the cursor after the newest job. */
async function cursorOf(url, size) {
  if (size <= SMALL) return (await getJson(`${url}/v1/jobs?limit=1`)).next_cursor;
  let page = await getJson(`${url}/v1/jobs?limit=20`);
  for (let i = 2; i < PAGE; i += 1)
    page = await getJson(`${url}/v1/jobs?limit=20&cursor=${encodeURIComponent(page.next_cursor)}`);
  return page.next_cursor;
}

/** Access-log request lines appended to `file` since byte `offset`: the answers the server gave meanwhile. */
function requestLinesSince(file, offset) {
  const size = statSync(file).size;
  const buffer = Buffer.alloc(size - offset);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buffer, 0, buffer.length, offset);
  } finally {
    closeSync(fd);
  }
  return buffer
    .toString('utf8')
    .split('\n')
    .filter((l) => l.includes('"msg":"request"')).length;
}

/**
 * One load run, plus the server's CPU time per answer over it (warm-up included, from the probe's
 * process.cpuUsage and the access log): a figure the other processes on a shared machine barely move,
 * unlike the p99, which on a loaded machine is mostly time spent waiting for a core.
 */
async function measureWithCpu(server, spec) {
  const offset = statSync(server.logFile).size;
  const before = await server.probe();
  const r = await measureLoad(spec);
  const after = await server.probe();
  const answers = requestLinesSince(server.logFile, offset);
  const cpuUs = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
  return { ...r, cpuPerAnswerUs: answers > 0 ? cpuUs / answers : NaN };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const listOf = (n, status) => (body) => {
  const j = JSON.parse(body);
  return Array.isArray(j.jobs) && j.jobs.length === n && j.jobs.every((x) => !status || x.status === status);
};

/**
 * The reads of one store. `answer` is how many jobs a list read returns there; `matched(n)` is the
 * same read asking for n jobs (the large store's read with the 10-job store's answer size).
 */
async function readsOf(url, size, failedStored) {
  const newest = (await getJson(`${url}/v1/jobs?limit=1`)).jobs[0];
  const cursor = encodeURIComponent(await cursorOf(url, size));
  const failed = Math.min(20, failedStored);
  const pageCount = size <= SMALL ? size - 1 : 20;
  const list = (path, n, status) => ({
    url: `${url}${path}`,
    needle: status ? `"status":"${status}"` : '"jobs":[',
    check: listOf(n, status),
    answer: n,
  });
  return {
    'GET /v1/jobs/{id}': {
      url: `${url}/v1/jobs/${newest.id}`,
      needle: `"id":"${newest.id}"`,
      check: (b) => JSON.parse(b).id === newest.id,
    },
    'GET /v1/jobs?limit=20': {
      ...list('/v1/jobs?limit=20', Math.min(20, size)),
      matched: (n) => list(`/v1/jobs?limit=${n}`, n),
    },
    [`page ${PAGE} by cursor`]: {
      ...list(`/v1/jobs?limit=20&cursor=${cursor}`, pageCount),
      matched: (n) => list(`/v1/jobs?limit=${n}&cursor=${cursor}`, n),
    },
    'GET /v1/jobs?status=failed': {
      ...list('/v1/jobs?status=failed', failed, 'failed'),
      matched: (n) => list(`/v1/jobs?status=failed&limit=${n}`, n, 'failed'),
    },
    '/metrics': { url: `${url}/metrics`, needle: '# TYPE', check: (b) => b.includes('# HELP') },
    '/readyz': { url: `${url}/readyz`, needle: '"status":"ready"', check: (b) => JSON.parse(b).status === 'ready' },
  };
}

const procs = new BenchProcesses();
const runs = [];
const rows = [];
const notes = [];
try {
  const redis = await procs.redis();
  const adapters = process.env.TTV_SCALE_ADAPTERS?.split(',') ?? ['embedded', 'redis'];
  const only = process.env.TTV_SCALE_READS?.split(',') ?? null;
  for (const adapter of adapters) {
    const servers = {};
    for (const size of [SMALL, LARGE]) {
      const dir = procs.tempDir(`scale-${adapter}-${size}`);
      const storeConfig =
        adapter === 'redis' ? { redis: { url: redis.url, key_prefix: `bench-scale-${size}` } } : { data_dir: dir };
      const memBefore = adapter === 'redis' ? redisUsedMemory(redis.port) : 0;
      const t0 = Date.now();
      const stats = await seedJobs(storeConfig, { count: size, failEvery: size <= SMALL ? 5 : 50 });
      const seedSeconds = (Date.now() - t0) / 1000;
      if (size === LARGE) {
        if (adapter === 'redis') {
          const perJob = (redisUsedMemory(redis.port) - memBefore) / size;
          rows.push(figure({ figure: `Redis memory per job (${size} jobs)`, value: perJob, unit: 'bytes' }));
        } else {
          const bytes = ['ttv.db', 'ttv.db-wal', 'ttv.db-shm']
            .map((f) => join(dir, f))
            .filter(existsSync)
            .reduce((s, f) => s + statSync(f).size, 0);
          rows.push(
            figure({
              figure: `SQLite file size per job (${size} jobs, ${(bytes / 1048576).toFixed(1)} MiB)`,
              value: bytes / size,
              unit: 'bytes',
            }),
          );
        }
        notes.push(
          `${adapter}: seeded ${size} jobs through the queue port in ${seedSeconds.toFixed(1)} s (${stats.finished} finished, ${stats.failed} failed)`,
        );
      }
      const server = await procs.ttv({
        label: `scale-${adapter}-${size}`,
        dataDir: adapter === 'embedded' ? dir : undefined,
        config: { security: LIMITS_RAISED, ...storeConfig },
      });
      const t1 = Date.now();
      await fetch(`${server.url}/metrics`).then((r) => r.text()); // the job counters' one-time catch-up (see the header)
      if (size === LARGE)
        notes.push(
          `${adapter}: first /metrics scrape (job counters catch up on ${size} seeded jobs' journal) took ${Date.now() - t1} ms`,
        );
      servers[size] = { server, reads: await readsOf(server.url, size, stats.failed) };
    }
    const small = servers[SMALL].reads;
    const large = servers[LARGE].reads;
    // Per read: the small store's, the large store's and (list reads) the large store's with the small
    // store's answer size, measured in turn, the order rotating each round.
    for (const name of Object.keys(small).filter((n) => !only || only.includes(n))) {
      const variants = { small: small[name], large: large[name] };
      if (large[name].matched) variants.matched = large[name].matched(small[name].answer);
      const p99 = {};
      const rps = {};
      const cpu = {};
      const order = Object.keys(variants);
      for (let round = 0; round < ROUNDS; round += 1) {
        for (let i = 0; i < order.length; i += 1) {
          const variant = order[(i + round) % order.length];
          const read = variants[variant];
          const r = await measureWithCpu(variant === 'small' ? servers[SMALL].server : servers[LARGE].server, {
            generator,
            url: read.url,
            seconds: SECONDS,
            warmupSeconds: 1,
            connections: 16,
            expectStatus: 200,
            needle: read.needle,
            checkBody: read.check,
            sampleEvery: 20,
          });
          runs.push({
            label: `${adapter} ${variant === 'small' ? SMALL : LARGE} jobs ${name}${variant === 'matched' ? ` (limit ${read.answer})` : ''} round ${round + 1}`,
            ...r,
          });
          (p99[variant] ??= []).push(r.p99);
          (rps[variant] ??= []).push(r.rps);
          (cpu[variant] ??= []).push(r.cpuPerAnswerUs);
        }
      }
      const row = (variant, label, target) => {
        rows.push(
          figure({
            figure: `${adapter} ${name} p99 at ${LARGE} jobs${label} (${generator}, 16 conn., median of ${ROUNDS})`,
            value: median(p99[variant]),
            unit: 'ms',
            reference: `${SMALL} jobs`,
            referenceValue: median(p99.small),
            ...(target ? { op: '<=', target: 1.2 } : {}),
          }),
        );
        rows.push(
          figure({
            figure: `${adapter} ${name} server CPU per answer at ${LARGE} jobs${label} (median of ${ROUNDS})`,
            value: median(cpu[variant]),
            unit: 'µs',
            reference: `${SMALL} jobs`,
            referenceValue: median(cpu.small),
          }),
        );
        notes.push(
          `${adapter} ${name}${label}: ${median(rps[variant]).toFixed(0)} req/s at ${LARGE} jobs, ${median(rps.small).toFixed(0)} at ${SMALL}; p99 by round ${p99[variant].map((v) => v.toFixed(1)).join(' / ')} ms vs ${p99.small.map((v) => v.toFixed(1)).join(' / ')} ms; CPU per answer by round ${cpu[variant].map((v) => v.toFixed(0)).join(' / ')} µs vs ${cpu.small.map((v) => v.toFixed(0)).join(' / ')} µs`,
        );
      };
      if (variants.matched) {
        row('matched', `, same answer as with ${SMALL} (${variants.small.answer} jobs)`, true);
        row('large', `, as named (${variants.large.answer} jobs vs ${variants.small.answer})`, false);
      } else {
        row('large', '', true);
      }
    }
    for (const { server } of Object.values(servers)) await procs.stop(server.child);
  }
} finally {
  await procs.stopAll();
}
finishBench({ bench: 'scale', args, rows, runs, notes });
