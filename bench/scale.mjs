// Benchmark: read cost at scale. Seeds 100,000 jobs (--quick: 10,000) through the queue port
// (lib/seed-jobs.mjs), then measures the p99 of GET /v1/jobs/{id}, GET /v1/jobs?limit=20, the 50th
// page by cursor, GET /v1/jobs?status=failed, /metrics and /readyz (16 connections, wrk when
// available), each against the same figure with 10 jobs stored; both adapters. Target (issue #17):
// within 20 % (ratio ≤ 1.2). Also reports the SQLite file size and Redis memory per job.
// With 10 jobs there is no 50th page: its reference is a cursor page after the newest job (9 jobs).
// `npm run bench:scale [-- --quick]`; --json FILE for bench:all.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
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
const PAGE = 50;
const generator = args.generators.includes('wrk') ? 'wrk' : args.generators[0];
const LIMITS_RAISED = { read_rate_limit_per_minute: 1_000_000_000, rate_limit_per_minute: 1_000_000_000 };

function redisUsedMemory(port) {
  const info = execFileSync('redis-cli', ['-p', String(port), 'info', 'memory'], { encoding: 'utf8' });
  return Number(/used_memory:(\d+)/.exec(info)[1]);
}

/** The URL of the 50th page (limit 20) by cursor, or for a small store a cursor page after the newest job. */
async function cursorPage(url, size) {
  if (size <= SMALL) {
    const one = await getJson(`${url}/v1/jobs?limit=1`);
    return { url: `${url}/v1/jobs?limit=20&cursor=${encodeURIComponent(one.next_cursor)}`, count: size - 1 };
  }
  let page = await getJson(`${url}/v1/jobs?limit=20`);
  for (let i = 2; i < PAGE; i += 1) page = await getJson(`${url}/v1/jobs?limit=20&cursor=${encodeURIComponent(page.next_cursor)}`);
  return { url: `${url}/v1/jobs?limit=20&cursor=${encodeURIComponent(page.next_cursor)}`, count: 20 };
}

const procs = new BenchProcesses();
const runs = [];
const rows = [];
const notes = [];
try {
  const redis = await procs.redis();
  const figures = {};
  for (const adapter of ['embedded', 'redis']) {
    for (const size of [SMALL, LARGE]) {
      const dir = procs.tempDir(`scale-${adapter}-${size}`);
      const prefix = `bench-scale-${size}`;
      const storeConfig = adapter === 'redis' ? { redis: { url: redis.url, key_prefix: prefix } } : { data_dir: dir };
      const memBefore = adapter === 'redis' ? redisUsedMemory(redis.port) : 0;
      const t0 = Date.now();
      const stats = await seedJobs(storeConfig, { count: size, failEvery: size <= SMALL ? 5 : 50 });
      const seedSeconds = (Date.now() - t0) / 1000;
      if (size === LARGE) {
        if (adapter === 'redis') {
          const perJob = (redisUsedMemory(redis.port) - memBefore) / size;
          rows.push(figure({ figure: `Redis memory per job (${size} jobs)`, value: perJob, unit: 'bytes' }));
        } else {
          const bytes = ['ttv.db', 'ttv.db-wal', 'ttv.db-shm'].map((f) => join(dir, f)).filter(existsSync).reduce((s, f) => s + statSync(f).size, 0);
          rows.push(figure({ figure: `SQLite file size per job (${size} jobs, ${(bytes / 1048576).toFixed(1)} MiB)`, value: bytes / size, unit: 'bytes' }));
        }
        notes.push(`${adapter}: seeded ${size} jobs through the queue port in ${seedSeconds.toFixed(1)} s (${stats.finished} finished, ${stats.failed} failed)`);
      }
      const server = await procs.ttv({ label: `scale-${adapter}-${size}`, dataDir: adapter === 'embedded' ? dir : undefined, config: { security: LIMITS_RAISED, ...storeConfig } });
      const { url } = server;
      const newest = (await getJson(`${url}/v1/jobs?limit=1`)).jobs[0];
      const cursor = await cursorPage(url, size);
      const listOf = (n, status) => (body) => { const j = JSON.parse(body); return Array.isArray(j.jobs) && j.jobs.length === n && j.jobs.every((x) => !status || x.status === status); };
      const failedOnStore = Math.min(20, stats.failed);
      const checks = [
        ['GET /v1/jobs/{id}', `${url}/v1/jobs/${newest.id}`, `"id":"${newest.id}"`, (b) => JSON.parse(b).id === newest.id],
        ['GET /v1/jobs?limit=20', `${url}/v1/jobs?limit=20`, '"jobs":[', listOf(Math.min(20, size))],
        [`page ${PAGE} by cursor`, cursor.url, '"jobs":[', listOf(cursor.count)],
        ['GET /v1/jobs?status=failed', `${url}/v1/jobs?status=failed`, '"status":"failed"', listOf(failedOnStore, 'failed')],
        ['/metrics', `${url}/metrics`, '# TYPE', (b) => b.includes('# HELP')],
        ['/readyz', `${url}/readyz`, '"status":"ready"', (b) => JSON.parse(b).status === 'ready'],
      ];
      for (const [name, target, needle, checkBody] of checks) {
        const r = await measureLoad({ generator, url: target, seconds: SECONDS, warmupSeconds: 1, connections: 16, expectStatus: 200, needle, checkBody, sampleEvery: 20 });
        runs.push({ label: `${adapter} ${size} jobs ${name}`, ...r });
        figures[`${adapter}:${size}:${name}`] = r;
      }
      await procs.stop(server.child);
    }
    for (const name of ['GET /v1/jobs/{id}', 'GET /v1/jobs?limit=20', `page ${PAGE} by cursor`, 'GET /v1/jobs?status=failed', '/metrics', '/readyz']) {
      const big = figures[`${adapter}:${LARGE}:${name}`];
      const small = figures[`${adapter}:${SMALL}:${name}`];
      rows.push(figure({ figure: `${adapter} ${name} p99 at ${LARGE} jobs (${generator}, 16 conn.)`, value: big.p99, unit: 'ms', reference: `${SMALL} jobs`, referenceValue: small.p99, op: '<=', target: 1.2 }));
      notes.push(`${adapter} ${name}: ${big.rps.toFixed(0)} req/s at ${LARGE} jobs, ${small.rps.toFixed(0)} req/s at ${SMALL}`);
    }
  }
} finally {
  await procs.stopAll();
}
finishBench({ bench: 'scale', args, rows, runs, notes });
