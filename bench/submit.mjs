// Benchmark: POST /v1/jobs sustained at 64 connections, without and with a fresh Idempotency-Key on
// every request, on SQLite, Redis and PostgreSQL, against a bare node:http server answering 202 with a new
// UUID; autocannon and wrk. The worker is paused (`worker.enabled: false`: the schema's
// worker.concurrency is ≥ 1) so rendering does not share the cores. Targets (issue #17): ≥ 30 % of
// bare embedded, ≥ 20 % Redis and PostgreSQL; the Redis rate as jobs/day (one shard's ceiling, issue #21). Every counted answer is a 202 whose sampled bodies are queued jobs.
// `npm run bench:submit [-- --quick]`; --json FILE for bench:all.
import { benchArgs } from './lib/cli-args.mjs';
import { measureLoad } from './lib/load.mjs';
import { BenchProcesses } from './lib/processes.mjs';
import { LIMITS_RAISED } from './lib/limits.mjs';
import { figure, finishBench } from './lib/report.mjs';

const args = benchArgs();
const SECONDS = args.quick ? 3 : 8;
const WARMUP = args.quick ? 1 : 2;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const procs = new BenchProcesses();
const runs = [];
const rows = [];
const notes = [];
try {
  const redis = await procs.redis();
  // No queue limit: with the worker paused every accepted job stays queued, and the limit would turn the later runs into 503s.
  const paused = { security: LIMITS_RAISED, worker: { enabled: false, max_queued_jobs: null } };
  const targets = [
    { name: 'bare', url: (await procs.bare('bare-accept-server.mjs')).url },
    { name: 'embedded', url: (await procs.ttv({ label: 'submit-sqlite', config: paused })).url },
    {
      name: 'redis',
      url: (
        await procs.ttv({
          label: 'submit-redis',
          config: { ...paused, redis: { url: redis.url, key_prefix: 'bench-submit' } },
        })
      ).url,
    },
    {
      name: 'postgres',
      url: (await procs.ttv({ label: 'submit-postgres', config: { ...paused, postgres: procs.postgres('submit') } }))
        .url,
    },
  ];
  const results = {};
  for (const generator of args.generators) {
    for (const keyed of [false, true]) {
      for (const t of targets) {
        const r = await measureLoad({
          generator,
          url: `${t.url}/v1/jobs`,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ prompt: 'A lighthouse at dusk, waves breaking.' }),
          uniqueHeader: keyed ? 'Idempotency-Key' : undefined,
          seconds: SECONDS,
          warmupSeconds: WARMUP,
          connections: 64,
          expectStatus: 202,
          needle: '"status":"queued"',
          checkBody: (body) => {
            const j = JSON.parse(body);
            return UUID.test(j.id) && j.status === 'queued';
          },
        });
        const label = `${t.name}${keyed ? ' +key' : ''} ${generator}`;
        runs.push({ label, ...r });
        results[label] = r;
      }
    }
  }
  for (const generator of args.generators) {
    for (const keyed of [false, true]) {
      const k = keyed ? ' +key' : '';
      const b = results[`bare${k} ${generator}`];
      for (const [name, minShare] of [
        ['embedded', 0.3],
        ['redis', 0.2],
        ['postgres', 0.2],
      ]) {
        const r = results[`${name}${k} ${generator}`];
        rows.push(
          figure({
            figure: `POST /v1/jobs ${name}${keyed ? ' with Idempotency-Key' : ''}, req/s (${generator})`,
            value: r.rps,
            unit: 'req/s',
            reference: 'bare 202',
            referenceValue: b.rps,
            op: '>=',
            target: minShare,
          }),
        );
        notes.push(
          `${name}${k} (${generator}): p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms (bare p99 ${b.p99.toFixed(2)} ms)`,
        );
      }
      // One Redis shard's ceiling (every key of a store is in one hash slot on a Cluster): the
      // accepted submissions/s as jobs a day, against 1 M jobs/day (~12 submissions/s).
      const shard = results[`redis${k} ${generator}`];
      rows.push(
        figure({
          figure: `One Redis shard${keyed ? ' with Idempotency-Key' : ''}: accepted jobs/day at 64 connections (${generator})`,
          value: shard.rps * 86_400,
          unit: 'jobs/day',
          op: '>=',
          target: 1_000_000,
        }),
      );
    }
  }
} finally {
  await procs.stopAll();
}
finishBench({ bench: 'submit', args, rows, runs, notes });
