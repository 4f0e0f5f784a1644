// Benchmark: the embedded (SQLite) and Redis queues side by side in one run.
//  1. dispatch latency: submit → handler start with an idle consumer (p50/p99, 100 jobs)
//  2. throughput: jobs/s through the queue with a no-op handler (500 jobs, concurrency 8)
//  3. GET /v1/jobs/{id} through each adapter vs a bare node:http server (64 connections)
// Starts its own redis-server on a free port. Run with `npm run bench:queue` (builds first).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, startUntil } from './lib/child-processes.mjs';
import autocannon from 'autocannon';
import { configSchema } from '../dist/config/schema.js';
import { openJobQueue } from '../dist/jobs/open-job-queue.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const children = [];
const dirs = [];

const start = (cmd, args, pattern) => startUntil(children, cmd, args, pattern);

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const outcome = (ctx) => ({
  artifactUri: `file:///dev/null/${ctx.job.id}`,
  artifactKey: `k/${ctx.job.id}`,
  gcsUri: null,
});

async function queueFigures(raw) {
  const queue = openJobQueue(configSchema.parse(raw));
  // Dispatch: one job at a time to an idle consumer.
  let started = null;
  let consumer = queue.consume({
    concurrency: 1,
    handler: async (ctx) => {
      started?.(performance.now());
      return outcome(ctx);
    },
  });
  const latencies = [];
  for (let i = 0; i < 100; i += 1) {
    const begun = new Promise((r) => {
      started = r;
    });
    const t0 = performance.now();
    await queue.submit({ prompt: `dispatch ${i}` });
    latencies.push((await begun) - t0);
    while ((await queue.stats()).active > 0) await new Promise((r) => setImmediate(r));
  }
  await consumer.close(1000);
  // Throughput: 500 no-op jobs, concurrency 8.
  const N = 500;
  for (let i = 0; i < N; i += 1) await queue.submit({ prompt: `throughput ${i}` });
  let done = 0;
  let resolveAll;
  const all = new Promise((r) => {
    resolveAll = r;
  });
  const t0 = performance.now();
  consumer = queue.consume({
    concurrency: 8,
    handler: async (ctx) => {
      if (++done === N) resolveAll();
      return outcome(ctx);
    },
  });
  await all;
  while ((await queue.stats()).finished < N + 100) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - t0) / 1000;
  await consumer.close(1000);
  await queue.close();
  return { p50: pct(latencies, 50), p99: pct(latencies, 99), jobsPerSecond: N / seconds };
}

async function getFigures(url) {
  await autocannon({ url, connections: 64, duration: 2 });
  const r = await autocannon({ url, connections: 64, duration: SECONDS });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

async function serveAndRead(extraYaml) {
  const dir = mkdtempSync(join(tmpdir(), 'ttv-bench-q-'));
  dirs.push(dir);
  const file = join(dir, 'ttv.yaml');
  writeFileSync(
    file,
    `logging: { level: info }\n# The load generator is one client: its reads must not be rate-limited into 429s.\nsecurity: { read_rate_limit_per_minute: 1000000000, rate_limit_per_minute: 1000000000 }\nserver: { max_connections_per_address: 1000 }\nsegment_duration_seconds: 0.5\nprocedural: { width: 160, height: 90, fps: 12, max_segments: 1 }\n${extraYaml}`,
  );
  const url = await start(
    process.execPath,
    ['bin/ttv.js', 'serve', '--config', file, '--port', '0', '--data-dir', dir],
    /ttv: listening on (http:\/\/\S+)/,
  );
  const { id } = await (
    await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Read me.' }),
    })
  ).json();
  let job;
  do {
    job = await (await fetch(`${url}/v1/jobs/${id}`)).json();
    if (job.status !== 'finished') await new Promise((r) => setTimeout(r, 50));
  } while (job.status !== 'finished');
  return { url: `${url}/v1/jobs/${id}`, job };
}

try {
  const port = await freePort();
  await start(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    /(Ready to accept connections)/,
  );
  const redisUrl = `redis://127.0.0.1:${port}/0`;
  const sqliteDir = mkdtempSync(join(tmpdir(), 'ttv-bench-q-'));
  dirs.push(sqliteDir);

  const embedded = await queueFigures({ data_dir: sqliteDir });
  const redis = await queueFigures({ redis: { url: redisUrl, key_prefix: 'bench-q' } });

  const sqliteServer = await serveAndRead('');
  const redisServer = await serveAndRead(`redis: { url: "${redisUrl}", key_prefix: "bench-get" }\n`);
  const bareUrl = await start(
    process.execPath,
    ['bench/bare-server.mjs', JSON.stringify(sqliteServer.job)],
    /"url":"(http:\/\/[^"]+)"/,
  );
  const bare = await getFigures(bareUrl);
  const getSqlite = await getFigures(sqliteServer.url);
  const getRedis = await getFigures(redisServer.url);

  const f = (n) => (typeof n === 'number' ? (n < 100 ? n.toFixed(2) : n.toFixed(0)) : String(n));
  console.log(`\nqueue benchmark: ${cpus().length} cores, node ${process.version}`);
  console.log('backend     dispatch p50 ms  dispatch p99 ms  no-op jobs/s');
  console.log(`embedded    ${f(embedded.p50).padEnd(17)}${f(embedded.p99).padEnd(17)}${f(embedded.jobsPerSecond)}`);
  console.log(`redis       ${f(redis.p50).padEnd(17)}${f(redis.p99).padEnd(17)}${f(redis.jobsPerSecond)}`);
  console.log(`\nGET /v1/jobs/{id}, 64 connections, ${SECONDS} s`);
  console.log('server      req/s    p50 ms  p99 ms  % of bare');
  for (const [name, r] of [
    ['bare', bare],
    ['embedded', getSqlite],
    ['redis', getRedis],
  ]) {
    console.log(
      `${name.padEnd(12)}${f(r.rps).padEnd(9)}${String(r.p50).padEnd(8)}${String(r.p99).padEnd(8)}${((r.rps / bare.rps) * 100).toFixed(1)} %${r.errors ? ` (${r.errors} errors)` : ''}`,
    );
  }
  // A figure that counted refused or failed answers measures nothing: say so and fail the run.
  const unmeant = [bare, getSqlite, getRedis].reduce((n, r) => n + r.errors, 0);
  if (unmeant) {
    console.error(`queue benchmark: ${unmeant} answers were not 2xx; the req/s figures above are not valid`);
    process.exitCode = 1;
  }
} finally {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
