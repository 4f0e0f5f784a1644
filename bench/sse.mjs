// Benchmark: 2,000 idle SSE connections (/v1/jobs/{id}/events of queued jobs, worker off so they
// stay idle) on one API process: RSS added per connection (GC'd before each reading, through the
// probe with --expose-gc), and the status-read p99 (GET /v1/jobs/{id}, 16 connections) while they
// are open against the same read with none open. Every stream must answer 200 text/event-stream.
// `npm run bench:sse [-- --quick]` (--quick: 500 streams); --json FILE for bench:all.
import { request } from 'node:http';
import { benchArgs } from './lib/cli-args.mjs';
import { measureLoad } from './lib/load.mjs';
import { BenchProcesses, eluBetween, postJson } from './lib/processes.mjs';
import { LIMITS_RAISED } from './lib/limits.mjs';
import { figure, finishBench } from './lib/report.mjs';

const args = benchArgs();
const STREAMS = args.quick ? 500 : 2000;
const JOBS = 20;
const SECONDS = args.quick ? 3 : 8;
const generator = args.generators.includes('wrk') ? 'wrk' : args.generators[0];

function openStream(url) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200 || !String(res.headers['content-type']).startsWith('text/event-stream')) {
        res.resume();
        reject(new Error(`stream answered ${res.statusCode} ${res.headers['content-type']}`));
        return;
      }
      res.once('data', () => resolve({ req, res }));
      res.on('data', () => {});
    });
    req.on('error', reject);
    req.end();
  });
}

const procs = new BenchProcesses();
const runs = [];
const rows = [];
const notes = [];
const streams = [];
try {
  const server = await procs.ttv({
    label: 'sse',
    nodeArgs: ['--expose-gc'],
    config: {
      security: LIMITS_RAISED,
      worker: { enabled: false },
      server: { max_sse_streams: 10000, max_sse_streams_per_client: 10000 },
    },
  });
  const jobs = [];
  for (let i = 0; i < JOBS; i += 1)
    jobs.push((await postJson(`${server.url}/v1/jobs`, { prompt: `Stream target ${i}.` })).id);
  const readJob = jobs[0];
  const read = () =>
    measureLoad({
      generator,
      url: `${server.url}/v1/jobs/${readJob}`,
      seconds: SECONDS,
      warmupSeconds: 1,
      connections: 16,
      expectStatus: 200,
      needle: `"id":"${readJob}"`,
      checkBody: (b) => JSON.parse(b).status === 'queued',
    });
  const without = await read();
  runs.push({ label: 'status read, no streams', ...without });
  const idleBefore = await server.probe();
  await new Promise((r) => setTimeout(r, 2000));
  const idleBeforeEnd = await server.probe();
  let failed = 0;
  for (let i = 0; i < STREAMS; i += 50) {
    const batch = await Promise.allSettled(
      Array.from({ length: Math.min(50, STREAMS - i) }, (_, k) =>
        openStream(`${server.url}/v1/jobs/${jobs[(i + k) % JOBS]}/events`),
      ),
    );
    for (const b of batch)
      if (b.status === 'fulfilled') streams.push(b.value);
      else failed += 1;
  }
  if (failed > 0)
    runs.push({
      label: 'streams',
      problems: [`${failed} of ${STREAMS} streams did not open with 200 text/event-stream`],
    });
  await new Promise((r) => setTimeout(r, 1000));
  const opened = await server.probe();
  await new Promise((r) => setTimeout(r, 2000));
  const openedEnd = await server.probe();
  const withStreams = await read();
  const stillOpen = streams.filter((s) => !s.res.destroyed && !s.res.readableEnded).length;
  if (stillOpen < streams.length)
    runs.push({ label: 'streams', problems: [`${streams.length - stillOpen} streams closed during the read`] });
  runs.push({ label: `status read, ${streams.length} streams open`, ...withStreams });
  const perConnection = (opened.memory.rss - idleBeforeEnd.memory.rss) / Math.max(1, streams.length);
  rows.push(
    figure({
      figure: `RSS added per idle SSE connection (${streams.length} open)`,
      value: perConnection / 1024,
      unit: 'KiB',
    }),
  );
  rows.push(
    figure({
      figure: `status GET p99 with ${streams.length} SSE open (${generator}, 16 conn.)`,
      value: withStreams.p99,
      unit: 'ms',
      reference: 'no streams',
      referenceValue: without.p99,
    }),
  );
  rows.push(
    figure({
      figure: `status GET req/s with ${streams.length} SSE open (${generator}, 16 conn.)`,
      value: withStreams.rps,
      unit: 'req/s',
      reference: 'no streams',
      referenceValue: without.rps,
    }),
  );
  notes.push(
    `server event-loop utilisation when idle: ${(eluBetween(idleBefore, idleBeforeEnd) * 100).toFixed(1)} % without streams, ${(eluBetween(opened, openedEnd) * 100).toFixed(1)} % with ${streams.length} idle streams`,
  );
  notes.push(
    `heap used ${(idleBeforeEnd.memory.heapUsed / 1048576).toFixed(1)} → ${(opened.memory.heapUsed / 1048576).toFixed(1)} MiB; RSS ${(idleBeforeEnd.memory.rss / 1048576).toFixed(1)} → ${(opened.memory.rss / 1048576).toFixed(1)} MiB`,
  );
} finally {
  for (const s of streams) s.req.destroy();
  await procs.stopAll();
}
finishBench({ bench: 'sse', args, rows, runs, notes });
