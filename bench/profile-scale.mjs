// Diagnosis of the scale reads (bench/scale.mjs): seeds a store through the queue port, runs
// `ttv serve` on it under `node --cpu-prof`, loads one read with wrk (16 connections), then prints
// the top functions by self time and, for SQLite, the query plan of each list/count statement, or,
// for Redis, the commands the server ran per request (INFO commandstats before/after the load).
// `node bench/profile-scale.mjs [--adapter embedded|redis] [--jobs 10000] [--path /metrics] [--seconds 4]`
// (after `npm run build`). Prints; sets no targets.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { measureLoad } from './lib/load.mjs';
import { BenchProcesses, getJson } from './lib/processes.mjs';
import { seedJobs } from './lib/seed-jobs.mjs';

const { values } = parseArgs({
  options: {
    adapter: { type: 'string', default: 'embedded' },
    jobs: { type: 'string', default: '10000' },
    path: { type: 'string', default: '/metrics' },
    seconds: { type: 'string', default: '4' },
    top: { type: 'string', default: '25' },
  },
});
const jobs = Number(values.jobs);
const procs = new BenchProcesses();

function commandStats(port) {
  const out = execFileSync('redis-cli', ['-p', String(port), 'info', 'commandstats'], { encoding: 'utf8' });
  const calls = {};
  for (const m of out.matchAll(/cmdstat_(\S+?):calls=(\d+),usec=(\d+)/g))
    calls[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  return calls;
}

function topFunctions(dir, n = 25) {
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i += 1)
    dt.set(profile.samples[i], (dt.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const self = new Map();
  let total = 0;
  for (const node of profile.nodes) {
    const us = dt.get(node.id) ?? 0;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const key = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + us);
  }
  return { total, top: [...self].sort((a, b) => b[1] - a[1]).slice(0, n) };
}

try {
  const dir = procs.tempDir(`profile-scale-${values.adapter}`);
  let storeConfig = { data_dir: dir };
  let redis;
  if (values.adapter === 'redis') {
    redis = await procs.redis();
    storeConfig = { redis: { url: redis.url, key_prefix: 'profile-scale' } };
  }
  const t0 = Date.now();
  await seedJobs(storeConfig, { count: jobs, failEvery: jobs <= 10 ? 5 : 50 });
  console.log(`seeded ${jobs} jobs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (values.adapter === 'embedded') {
    const db = new Database(join(dir, 'ttv.db'), { readonly: true });
    for (const sql of [
      'SELECT * FROM jobs ORDER BY seq DESC LIMIT 21',
      'SELECT * FROM jobs WHERE seq < 9000 ORDER BY seq DESC LIMIT 21',
      "SELECT * FROM jobs WHERE status = 'failed' ORDER BY seq DESC LIMIT 21",
      'SELECT status, COUNT(*) AS n FROM jobs GROUP BY status',
      "SELECT AVG((julianday(finished_at) - julianday(started_at)) * 86400.0) AS s FROM jobs WHERE status = 'finished' AND started_at IS NOT NULL",
    ]) {
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all()
        .map((r) => r.detail)
        .join(' | ');
      const t = process.hrtime.bigint();
      db.prepare(sql).all();
      console.log(`${(Number(process.hrtime.bigint() - t) / 1e6).toFixed(2)} ms  ${sql}\n    plan: ${plan}`);
    }
    db.close();
  }
  for (const [i, wanted] of values.path.split(',').entries()) {
    const profDir = join(dir, `cpuprof-${i}`);
    const server = await procs.ttv({
      label: `profile-scale-${i}`,
      dataDir: values.adapter === 'embedded' ? dir : undefined,
      nodeArgs: ['--cpu-prof', '--cpu-prof-dir', profDir],
      config: {
        security: { read_rate_limit_per_minute: 1_000_000_000, rate_limit_per_minute: 1_000_000_000 },
        ...storeConfig,
      },
    });
    let path = wanted;
    if (path.includes('{id}')) path = path.replace('{id}', (await getJson(`${server.url}/v1/jobs?limit=1`)).jobs[0].id);
    if (path.includes('{page50}')) {
      let page = await getJson(`${server.url}/v1/jobs?limit=20`);
      for (let p = 2; p < 50; p += 1)
        page = await getJson(`${server.url}/v1/jobs?limit=20&cursor=${encodeURIComponent(page.next_cursor)}`);
      path = path.replace('{page50}', encodeURIComponent(page.next_cursor));
    }
    const before = redis ? commandStats(redis.port) : null;
    const r = await measureLoad({
      generator: 'wrk',
      url: `${server.url}${path}`,
      seconds: Number(values.seconds),
      warmupSeconds: 1,
      connections: 16,
      expectStatus: 200,
      needle: '',
      checkBody: () => true,
    });
    const after = redis ? commandStats(redis.port) : null;
    await procs.stop(server.child);
    console.log(
      `\n== ${values.adapter} ${jobs} jobs GET ${wanted}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`,
    );
    const { total, top } = topFunctions(profDir, Number(values.top));
    console.log(`top self time (of ${(total / 1e6).toFixed(1)} s profiled):`);
    for (const [name, us] of top)
      console.log(`${(us / 1e3).toFixed(0).padStart(7)} ms ${((us / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
    if (before && after) {
      // Every request of the load (warm-up included), counted from the access log.
      const requests = readFileSync(server.logFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('"msg":"request"')).length;
      console.log(`Redis commands during the load (per request, ${requests} requests in the access log):`);
      for (const [cmd, s] of Object.entries(after)) {
        const calls = s.calls - (before[cmd]?.calls ?? 0);
        if (calls > 0)
          console.log(
            `  ${cmd.padEnd(24)} ${(calls / requests).toFixed(2)} calls, ${((s.usec - (before[cmd]?.usec ?? 0)) / calls).toFixed(1)} µs each`,
          );
      }
    }
  }
} finally {
  await procs.stopAll();
}
