// Benchmark: GET /v1/jobs/{id} of a finished job at 64 connections, as a user gets it by default
// (access log on, in-process worker running), on SQLite, Redis and PostgreSQL, against a bare node:http
// server answering the same JSON from memory, with autocannon and with wrk, all in one run.
// Targets (issue #17): req/s ≥ 50 % of bare (Redis and PostgreSQL ≥ 35 %), p99 ≤ 2× bare p99 of the same generator.
// The bench raises the rate limits (they would otherwise answer the load generator with 429s) and
// checks that the access log really wrote a line per answer.
// `npm run bench:status [-- --quick]`; --json FILE for bench:all.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { benchArgs } from './lib/cli-args.mjs';
import { measureLoad } from './lib/load.mjs';
import { BenchProcesses, eluBetween, postJson, waitForJob } from './lib/processes.mjs';
import { LIMITS_RAISED } from './lib/limits.mjs';
import { figure, finishBench } from './lib/report.mjs';

const args = benchArgs();
const SECONDS = args.quick ? 3 : 10;
const WARMUP = args.quick ? 1 : 2;
const small = { segment_duration_seconds: 1, procedural: { width: 160, height: 90, fps: 12, max_segments: 1 } };

async function countAccessLines(file) {
  let n = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) if (line.includes('"msg":"request"')) n += 1;
  return n;
}

const procs = new BenchProcesses();
const runs = [];
const rows = [];
const notes = [];
try {
  const redis = await procs.redis();
  const servers = {
    embedded: await procs.ttv({ label: 'status-sqlite', config: { security: LIMITS_RAISED, ...small } }),
    redis: await procs.ttv({
      label: 'status-redis',
      config: { security: LIMITS_RAISED, ...small, redis: { url: redis.url, key_prefix: 'bench-status' } },
    }),
    postgres: await procs.ttv({
      label: 'status-postgres',
      config: { security: LIMITS_RAISED, ...small, postgres: procs.postgres('status') },
    }),
  };
  const jobs = {};
  for (const [name, s] of Object.entries(servers)) {
    const { id } = await postJson(`${s.url}/v1/jobs`, { prompt: `A finished job to read (${name}).` });
    jobs[name] = await waitForJob(s.url, id, 'finished');
  }
  const bare = await procs.bare('bare-server.mjs', [JSON.stringify(jobs.embedded)]);
  const targets = [
    { name: 'bare', url: `${bare.url}/v1/jobs/${jobs.embedded.id}`, job: jobs.embedded },
    {
      name: 'embedded',
      url: `${servers.embedded.url}/v1/jobs/${jobs.embedded.id}`,
      job: jobs.embedded,
      server: servers.embedded,
    },
    { name: 'redis', url: `${servers.redis.url}/v1/jobs/${jobs.redis.id}`, job: jobs.redis, server: servers.redis },
    {
      name: 'postgres',
      url: `${servers.postgres.url}/v1/jobs/${jobs.postgres.id}`,
      job: jobs.postgres,
      server: servers.postgres,
    },
  ];
  const results = {};
  let answered = { embedded: 0, redis: 0, postgres: 0 };
  for (const generator of args.generators) {
    for (const t of targets) {
      const before = t.server ? await t.server.probe() : null;
      const r = await measureLoad({
        generator,
        url: t.url,
        seconds: SECONDS,
        warmupSeconds: WARMUP,
        connections: 64,
        expectStatus: 200,
        needle: `"id":"${t.job.id}"`,
        checkBody: (body) => {
          const j = JSON.parse(body);
          return j.id === t.job.id && j.status === 'finished' && typeof j.created_at === 'string';
        },
      });
      if (t.server) {
        const after = await t.server.probe();
        r.elu = eluBetween(before, after);
        r.delayP99 = after.delay.p99;
        r.gc = after.gc;
        answered[t.name] += r.ok;
      }
      runs.push({ label: `${t.name} ${generator}`, ...r });
      results[`${t.name}:${generator}`] = r;
    }
  }
  for (const generator of args.generators) {
    const b = results[`bare:${generator}`];
    for (const [name, minShare] of [
      ['embedded', 0.5],
      ['redis', 0.35],
      ['postgres', 0.35],
    ]) {
      const r = results[`${name}:${generator}`];
      rows.push(
        figure({
          figure: `status GET ${name}, req/s (${generator})`,
          value: r.rps,
          unit: 'req/s',
          reference: 'bare',
          referenceValue: b.rps,
          op: '>=',
          target: minShare,
        }),
      );
      rows.push(
        figure({
          figure: `status GET ${name}, p99 (${generator})`,
          value: r.p99,
          unit: 'ms',
          reference: 'bare p99',
          referenceValue: b.p99,
          op: '<=',
          target: 2,
        }),
      );
      notes.push(
        `${name} (${generator}): p50 ${r.p50.toFixed(2)} ms, max ${r.max.toFixed(1)} ms; server event-loop utilisation ${(r.elu * 100).toFixed(0)} %, loop-delay p99 ${r.delayP99.toFixed(1)} ms, GC ${r.gc.count} pauses / ${r.gc.ms.toFixed(0)} ms (max ${r.gc.maxMs.toFixed(1)} ms)`,
      );
    }
  }
  if (args.generators.length === 2) {
    const [a, w] = [results['bare:autocannon'], results['bare:wrk']];
    rows.push(
      figure({
        figure: 'bare req/s, autocannon vs wrk (generator cost)',
        value: a.rps,
        unit: 'req/s',
        reference: 'wrk',
        referenceValue: w.rps,
      }),
    );
  }
  // The access log was really on: stop the servers (pino flushes) and count its lines.
  for (const [name, s] of Object.entries(servers)) {
    await procs.stop(s.child);
    const lines = await countAccessLines(s.logFile);
    notes.push(`${name}: ${lines} access-log lines for ${answered[name]} measured answers (plus warm-ups)`);
    if (lines < answered[name])
      runs.push({
        label: `${name} access log`,
        problems: [`only ${lines} access-log lines for ${answered[name]} answers: the access log was not on`],
      });
  }
} finally {
  await procs.stopAll();
}
finishBench({ bench: 'status-get', args, rows, runs, notes });
