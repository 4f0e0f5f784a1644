// Diagnosis of the submission path: `ttv serve` with the worker paused (as bench/submit.mjs runs it)
// under `node --cpu-prof`, loaded with wrk at 64 connections of `POST /v1/jobs`; prints req/s, the
// server's event-loop utilisation and GC, and self time by package and the top functions, per
// request. `--redis` uses a Redis job store (a redis-server of its own), `--key` sends a fresh
// Idempotency-Key on every request.
// `node bench/profile-submit.mjs [--quick] [--redis] [--key]` (after `npm run build`). Prints; sets no targets.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { printProfile, readProfile } from './lib/cpu-profile.mjs';
import { measureLoad } from './lib/load.mjs';
import { BenchProcesses, eluBetween } from './lib/processes.mjs';
import { LIMITS_RAISED } from './lib/limits.mjs';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    redis: { type: 'boolean', default: false },
    key: { type: 'boolean', default: false },
  },
  strict: true,
});
const SECONDS = values.quick ? 4 : 10;
const procs = new BenchProcesses();

try {
  const config = { security: LIMITS_RAISED, worker: { enabled: false, max_queued_jobs: null } };
  if (values.redis) config.redis = { url: (await procs.redis()).url, key_prefix: 'profile-submit' };
  const server = await procs.ttv({
    label: 'profile-submit',
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', 'cpuprof'],
    config,
  });
  const before = await server.probe();
  const r = await measureLoad({
    generator: 'wrk',
    url: `${server.url}/v1/jobs`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'A lighthouse at dusk, waves breaking.' }),
    uniqueHeader: values.key ? 'Idempotency-Key' : undefined,
    seconds: SECONDS,
    warmupSeconds: 1,
    connections: 64,
    expectStatus: 202,
    needle: '"status":"queued"',
    checkBody: (body) => JSON.parse(body).status === 'queued',
  });
  const after = await server.probe();
  await procs.stop(server.child);
  console.log(
    `\n${values.redis ? 'Redis' : 'SQLite'}${values.key ? ', Idempotency-Key' : ''}: wrk 64 connections ${SECONDS} s: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms${r.clean ? '' : ` (NOT clean: ${r.problems.join('; ')})`}`,
  );
  console.log(
    `server event-loop utilisation ${(eluBetween(before, after) * 100).toFixed(1)} %; GC ${after.gc.count} pauses, ${after.gc.ms.toFixed(0)} ms total, max ${after.gc.maxMs.toFixed(1)} ms`,
  );
  // The warm-up's submissions are in the profile too: count them at the measured rate.
  printProfile(readProfile(join(server.dir, 'cpuprof')), { requests: r.ok * (1 + 1 / SECONDS) });
} finally {
  await procs.stopAll();
}
