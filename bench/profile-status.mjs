// Diagnosis of the status-read path: `ttv serve` (default config, rate limits raised) under
// `node --cpu-prof`, loaded with wrk at 64 connections; prints self time by package and the top
// functions, the server's event-loop utilisation / loop delay / GC, and the server-side duration of
// each request (the access log's `ms`) next to the client's latency, which tells a tail spent inside
// request handling from one spent waiting before the server reads the request.
// `node bench/profile-status.mjs [--quick]` (after `npm run build`). Prints; sets no targets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchArgs } from './lib/cli-args.mjs';
import { printProfile, readProfile } from './lib/cpu-profile.mjs';
import { measureLoad } from './lib/load.mjs';
import { BenchProcesses, eluBetween, postJson, waitForJob } from './lib/processes.mjs';

const args = benchArgs();
const SECONDS = args.quick ? 4 : 10;
const procs = new BenchProcesses();
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

try {
  const server = await procs.ttv({
    label: 'profile',
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', 'cpuprof'],
    config: {
      security: { read_rate_limit_per_minute: 1_000_000_000, rate_limit_per_minute: 1_000_000_000 },
      segment_duration_seconds: 1,
      procedural: { width: 160, height: 90, fps: 12, max_segments: 1 },
    },
  });
  const { id } = await postJson(`${server.url}/v1/jobs`, { prompt: 'Profile me.' });
  await waitForJob(server.url, id, 'finished');
  const before = await server.probe();
  const r = await measureLoad({
    generator: 'wrk',
    url: `${server.url}/v1/jobs/${id}`,
    seconds: SECONDS,
    warmupSeconds: 1,
    expectStatus: 200,
    needle: `"id":"${id}"`,
    checkBody: (b) => JSON.parse(b).id === id,
  });
  const after = await server.probe();
  await procs.stop(server.child);
  // Server-side durations of the answers to the load (access-log `ms`, from Fastify's reply.elapsedTime).
  const ms = readFileSync(server.logFile, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"msg":"request"') && l.includes(id))
    .map((l) => JSON.parse(l).ms)
    .sort((a, b) => a - b);
  console.log(
    `\nwrk 64 connections ${SECONDS} s: ${r.rps.toFixed(0)} req/s, client p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, max ${r.max.toFixed(1)} ms${r.clean ? '' : ` (NOT clean: ${r.problems.join('; ')})`}`,
  );
  console.log(
    `server-side (onResponse elapsed) over ${ms.length} requests: p50 ${pct(ms, 50)} ms, p99 ${pct(ms, 99)} ms, p99.9 ${pct(ms, 99.9)} ms, max ${ms.at(-1)} ms`,
  );
  console.log(
    `server event-loop utilisation ${(eluBetween(before, after) * 100).toFixed(1)} %, loop-delay p50 ${after.delay.p50} ms p99 ${after.delay.p99} ms max ${after.delay.max} ms; GC ${after.gc.count} pauses, ${after.gc.ms.toFixed(0)} ms total, max ${after.gc.maxMs.toFixed(1)} ms`,
  );

  printProfile(readProfile(join(server.dir, 'cpuprof')), { requests: r.ok * (1 + 1 / SECONDS) });
} finally {
  await procs.stopAll();
}
