// Listing queued jobs with a deep queue: stores N queued jobs through the JobQueue port, then times
// `list({status: 'queued', limit: 100})` (what GET /v1/jobs?limit=100&status=queued runs), with
// queue_position on every job. Needs `npm run build`. SQLite always; Redis too with REDIS_URL set.
//   node bench/queue-position.mjs [jobs=20000] [rounds=50]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteJobQueue } from '../dist/jobs/sqlite/sqlite-job-queue.js';
import { RedisJobQueue } from '../dist/jobs/redis/redis-job-queue.js';

const jobs = Number(process.argv[2] ?? 20000);
const rounds = Number(process.argv[3] ?? 50);

async function measure(name, queue) {
  const t0 = performance.now();
  for (let i = 0; i < jobs; i += 1) await queue.submit({ prompt: `queued job ${i}` });
  const fill = performance.now() - t0;
  const times = [];
  let page;
  for (let i = 0; i < rounds; i += 1) {
    const t = performance.now();
    page = await queue.list({ status: 'queued', limit: 100 });
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const positions = page.jobs.map((j) => j.queue_position);
  console.log(
    `${name}: ${jobs} queued jobs stored in ${(fill / 1000).toFixed(1)} s; list 100 queued: p50 ${times[Math.floor(rounds / 2)].toFixed(2)} ms, p99 ${times[Math.floor(rounds * 0.99)].toFixed(2)} ms; positions ${positions[0]}..${positions.at(-1)}`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'ttv-bench-qp-'));
try {
  const sqlite = new SqliteJobQueue({ file: join(dir, 'ttv.db') });
  await measure('sqlite', sqlite);
  await sqlite.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
if (process.env.REDIS_URL) {
  const redis = new RedisJobQueue({
    url: process.env.REDIS_URL,
    keyPrefix: `bench-qp-${process.pid}`,
    jobTtlSeconds: 3600,
  });
  await measure('redis', redis);
  await redis.close();
}
process.exit(0);
