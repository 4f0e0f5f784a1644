// Benchmark: a burst of 1,000 concurrent submissions against the Redis setup (API + 2 workers, real
// processes), then the drain. Prints accepted/refused counts, submission latency p50/p99 and the drain
// time and rate. This used to be a test; its duration depends on how busy the machine is, so it is
// measured here and the test (test/e2e/reliability.test.ts) checks the same guarantees on 200 jobs.
// Run with `npm run build && node bench/burst.mjs`. BURST=N changes the count.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort, startUntil } from './lib/child-processes.mjs';

const BURST = Number(process.env.BURST ?? 1000);
const children = [];
const dir = mkdtempSync(join(tmpdir(), 'ttv-bench-burst-'));

const start = (cmd, args, pattern) => startUntil(children, cmd, args, pattern);

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

try {
  const redisPort = await freePort();
  await start(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    /Ready to accept connections()/,
  );
  const config = join(dir, 'ttv.yaml');
  writeFileSync(
    config,
    [
      `redis: { url: "redis://127.0.0.1:${redisPort}/0", key_prefix: "ttv-bench-burst" }`,
      'segment_duration_seconds: 0.5',
      'procedural: { width: 64, height: 36, fps: 12, max_segments: 1 }',
      'security: { rate_limit_per_minute: 100000 }',
      'worker: { concurrency: 3 }',
      'logging: { level: warn }',
      '',
    ].join('\n'),
  );
  const args = ['--config', config, '--data-dir', dir];
  const api = await start(
    process.execPath,
    ['bin/ttv.js', 'serve', '--no-worker', '--port', '0', ...args],
    /ttv: listening on (http:\/\/\S+)/,
  );
  await Promise.all(
    [0, 1].map(() => start(process.execPath, ['bin/ttv.js', 'worker', ...args], /ttv: worker (\S+) started/)),
  );
  const latencies = [];
  const t0 = performance.now();
  const outcomes = await Promise.all(
    Array.from({ length: BURST }, async (_, i) => {
      const s = performance.now();
      const res = await fetch(`${api}/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: `Burst job ${i}.` }),
      });
      latencies.push(performance.now() - s);
      await res.arrayBuffer();
      return res.status;
    }),
  );
  const submitted = performance.now() - t0;
  const accepted = outcomes.filter((s) => s === 202).length;
  const refused = outcomes.filter((s) => s === 429 || s === 503).length;
  const other = outcomes.length - accepted - refused;
  let m;
  do {
    await new Promise((r) => setTimeout(r, 250));
    m = await (await fetch(`${api}/metrics`, { headers: { accept: 'application/json' } })).json();
  } while (!(m.queue_depth === 0 && m.total_jobs_processed >= accepted));
  const drained = performance.now() - t0;
  console.log(
    `burst of ${BURST} on ${cpus().length} cores (Node ${process.version}): ${accepted} accepted, ${refused} refused (429/503), ${other} other`,
  );
  console.log(
    `submission latency p50 ${pct(latencies, 50).toFixed(1)} ms, p99 ${pct(latencies, 99).toFixed(1)} ms; all answered in ${(submitted / 1000).toFixed(1)} s`,
  );
  console.log(
    `drain: ${accepted} jobs finished in ${(drained / 1000).toFixed(1)} s (${(accepted / (drained / 1000)).toFixed(1)} jobs/s, 2 workers × 3)`,
  );
} finally {
  for (const c of children.reverse()) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}
